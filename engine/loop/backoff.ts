/** Retry delays: exponential, capped, with jitter. Pure: randomness is passed in. */

export interface BackoffPolicy {
  /** First retry delay (ms). */
  readonly baseMs: number;
  /** Upper bound of any delay (ms). */
  readonly maxMs: number;
  /** Growth per attempt (default 2). */
  readonly factor?: number;
  /** Fraction of the delay that is random, 0..1 (default 0.2: delay × [0.8, 1.0]). */
  readonly jitter?: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 5 * 60_000, factor: 2, jitter: 0.2 };

/**
 * Delay before retry number `attempt` (1-based): `min(max, base × factor^(attempt-1))`, of which
 * the `jitter` fraction is scaled by `random` ∈ [0, 1). Never above `maxMs`, never below
 * `(1 - jitter) × capped delay`.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: number): number {
  const factor = policy.factor ?? 2;
  const jitter = Math.min(1, Math.max(0, policy.jitter ?? 0.2));
  const n = Math.max(1, Math.floor(attempt));
  const raw = policy.baseMs * Math.pow(factor, Math.min(n - 1, 64));
  const capped = Math.min(policy.maxMs, raw);
  const r = Math.min(1, Math.max(0, random));
  return Math.round(capped * (1 - jitter) + capped * jitter * r);
}

/** Next poll delay: `interval ± jitter × interval`, with `random` ∈ [0, 1). Pure. */
export function jitteredInterval(intervalMs: number, jitter: number, random: number): number {
  const j = Math.min(1, Math.max(0, jitter));
  return Math.max(0, Math.round(intervalMs * (1 - j + 2 * j * Math.min(1, Math.max(0, random)))));
}
