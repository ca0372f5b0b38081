/**
 * Sizes as the KVM CRDs accept them (pure): Kubernetes quantities (`1Gi`, `512Mi`, `20G`, `1.5Gi`, plain bytes) and
 * the seed's `8GB` / `40GB` spellings (GB = 10^9, as in the seed's variables table).
 */
const UNITS: Record<string, number> = {
  "": 1,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/** Bytes of a size, or an Error naming the field and what is accepted. */
export function parseSize(field: string, value: string | number | undefined): number | Error {
  if (typeof value === "number") {
    if (Number.isFinite(value) && value >= 0) return Math.floor(value);
    return new Error(`${field}: ${value} is not a size`);
  }
  if (value === undefined) return new Error(`${field} is missing`);
  const m = /^([0-9]+(?:\.[0-9]+)?)([KMGT]i?|[KMGT]B|k)?$/.exec(value.trim());
  if (!m) return new Error(`${field}: ${JSON.stringify(value)} is not a size (use e.g. 1Gi, 512Mi, 20G or 8GB)`);
  return Math.floor(Number(m[1]) * (UNITS[m[2] ?? ""] as number));
}

export const MiB = 2 ** 20;
