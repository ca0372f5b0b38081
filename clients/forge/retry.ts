import { ForgeError } from "./errors.ts";

export interface RetryPolicy {
  /** Attempts in all (default 5). */
  readonly attempts?: number;
  readonly baseMs?: number;
  readonly maxMs?: number;
  readonly random?: () => number;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });
}

/**
 * Runs `op`, retrying a 429 after its Retry-After and a 5xx or network failure with jittered
 * exponential backoff, when `idempotent`. A non-idempotent call (a create) is retried only on 429
 * (the forge did nothing); on a 5xx the caller must re-read before trying again.
 */
export async function withRetry<T>(
  op: () => Promise<T>,
  options: { readonly idempotent: boolean; readonly signal?: AbortSignal; readonly policy?: RetryPolicy },
): Promise<T> {
  const attempts = options.policy?.attempts ?? 5;
  const base = options.policy?.baseMs ?? 200;
  const max = options.policy?.maxMs ?? 10_000;
  const random = options.policy?.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (error) {
      if (!(error instanceof ForgeError) || attempt >= attempts) throw error;
      const retry = error.kind === "rate-limited" || (options.idempotent && error.retryable);
      if (!retry) throw error;
      const backoff = Math.min(max, base * 2 ** (attempt - 1)) * (0.5 + random() / 2);
      await sleep(Math.min(max * 6, error.retryAfterMs ?? backoff), options.signal);
    }
  }
}
