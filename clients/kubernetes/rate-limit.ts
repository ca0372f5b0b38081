import { setTimeout as sleep } from "node:timers/promises";

export interface RateLimitOptions {
  /** Sustained requests per second (default 50). */
  readonly qps?: number;
  /** Requests allowed at once above the sustained rate (default 100). */
  readonly burst?: number;
  /** Monotonic milliseconds; injectable for tests. */
  readonly now?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export const DEFAULT_QPS = 50;
export const DEFAULT_BURST = 100;

/**
 * Token bucket like client-go's flowcontrol: holds up to `burst` tokens, refills at `qps` per second;
 * each request takes one token, waiting for it when the bucket is empty. Waiters are served FIFO.
 */
export class TokenBucket {
  /** Tokens taken by every bucket of this process (requests sent): benchmarks read the request rate from it. */
  static taken = 0;
  readonly qps: number;
  readonly burst: number;
  private tokens: number;
  private last: number;
  private tail: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(opts: RateLimitOptions = {}) {
    this.qps = opts.qps ?? DEFAULT_QPS;
    this.burst = opts.burst ?? DEFAULT_BURST;
    if (!(this.qps > 0) || !(this.burst >= 1))
      throw new RangeError(`invalid rate limit qps=${this.qps} burst=${this.burst}`);
    this.now = opts.now ?? (() => performance.now());
    this.sleep = opts.sleep ?? ((ms, signal) => sleep(ms, undefined, signal ? { signal } : {}));
    this.tokens = this.burst;
    this.last = this.now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.qps) / 1000);
    this.last = t;
  }

  /** Takes one token without waiting; false when none is available. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      TokenBucket.taken++;
      return true;
    }
    return false;
  }

  /** Waits for a token (FIFO). Rejects with the signal's reason when aborted. */
  take(signal?: AbortSignal): Promise<void> {
    const turn = this.tail.then(async () => {
      for (;;) {
        signal?.throwIfAborted();
        if (this.tryTake()) return;
        const waitMs = Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.qps));
        await this.sleep(waitMs, signal);
      }
    });
    this.tail = turn.catch(() => undefined);
    return turn;
  }
}
