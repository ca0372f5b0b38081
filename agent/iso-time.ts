/**
 * RFC 3339 UTC timestamps computed with integer arithmetic. `Date.prototype.toISOString` would give
 * the same text, but the first date breakdown in a V8 isolate initialises ICU's time-zone data
 * (≈ 0.8 MiB of the node binary paged in for good): a cost a device agent that only ever needs UTC
 * does not have to pay (bench/results/agent.md).
 */

const DAY_MS = 86_400_000;

const pad = (n: number, width: number): string => String(n).padStart(width, "0");

/** `YYYY-MM-DDTHH:MM:SS.mmmZ` for epoch milliseconds, exactly as `new Date(ms).toISOString()`. */
export function isoTime(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`invalid time value ${ms}`);
  const t = Math.trunc(ms); // TimeClip: toward zero
  const days = Math.floor(t / DAY_MS);
  const inDay = t - days * DAY_MS;
  // Civil date from days since 1970-01-01 (proleptic Gregorian; H. Hinnant's days_from_civil inverse).
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1_460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (year < 0 || year > 9999) return new Date(t).toISOString(); // expanded years: rare, let V8 format them
  const h = Math.floor(inDay / 3_600_000);
  const min = Math.floor((inDay % 3_600_000) / 60_000);
  const s = Math.floor((inDay % 60_000) / 1000);
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(h, 2)}:${pad(min, 2)}:${pad(s, 2)}.${pad(inDay % 1000, 3)}Z`;
}

/** The current time as `isoTime`. */
export const isoNow = (): string => isoTime(Date.now());
