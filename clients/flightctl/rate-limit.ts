import { setTimeout as sleep } from "node:timers/promises";

/** Token bucket: up to `burst` requests at once, `qps` sustained; waiters served in order. */
export class RequestBudget {
  private tokens: number;
  private last = performance.now();
  private tail: Promise<void> = Promise.resolve();

  constructor(
    readonly qps: number,
    readonly burst: number,
  ) {
    if (!(qps > 0) || !(burst >= 1)) throw new RangeError(`invalid Flightctl rate limit qps=${qps} burst=${burst}`);
    this.tokens = burst;
  }

  take(signal?: AbortSignal): Promise<void> {
    const turn = this.tail.then(async () => {
      for (;;) {
        signal?.throwIfAborted();
        const now = performance.now();
        this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.qps) / 1000);
        this.last = now;
        if (this.tokens >= 1) {
          this.tokens -= 1;
          return;
        }
        await sleep(Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.qps)), undefined, { signal });
      }
    });
    this.tail = turn.catch(() => undefined);
    return turn;
  }
}

/** Exponential backoff with full jitter: attempt 0 → up to `baseMs`, doubling up to `maxMs`. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const cap = Math.min(maxMs, baseMs * 2 ** attempt);
  return Math.round(cap / 2 + (random() * cap) / 2);
}
