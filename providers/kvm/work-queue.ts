/**
 * A small keyed work queue: a key queued while it waits is queued once; a key never runs twice at the same time (an
 * add while it runs queues it again for after); at most `concurrency` keys run at once; failures come back after an
 * exponential back-off per key (reset by a success), requeues after their delay.
 */
export interface QueueResult {
  readonly requeueMs?: number;
  readonly error?: string;
}

export class WorkQueue {
  private readonly pending = new Set<string>();
  private readonly order: string[] = [];
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly failures = new Map<string, number>();
  private stopped = false;

  constructor(
    private readonly work: (key: string) => Promise<QueueResult>,
    private readonly opts: {
      concurrency: number;
      baseBackoffMs: number;
      maxBackoffMs: number;
      onError: (key: string, err: unknown) => void;
    },
  ) {}

  add(key: string): void {
    if (this.stopped) return;
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.pending.has(key)) return;
    this.pending.add(key);
    this.order.push(key);
    this.pump();
  }

  addAfter(key: string, ms: number): void {
    if (this.stopped || this.timers.has(key)) return;
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.add(key);
      }, ms),
    );
  }

  /** Keys running or waiting (for /healthz and tests). */
  get depth(): number {
    return this.pending.size + this.running.size;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private pump(): void {
    while (!this.stopped && this.running.size < this.opts.concurrency && this.order.length > 0) {
      const key = this.order.shift() as string;
      this.pending.delete(key);
      this.running.add(key);
      void this.run(key);
    }
  }

  private async run(key: string): Promise<void> {
    let result: QueueResult;
    try {
      result = await this.work(key);
    } catch (err) {
      this.opts.onError(key, err);
      result = { error: (err as Error)?.message ?? String(err) };
    }
    this.running.delete(key);
    if (result.error !== undefined) {
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      this.addAfter(key, Math.min(this.opts.maxBackoffMs, this.opts.baseBackoffMs * 2 ** (n - 1)));
    } else {
      this.failures.delete(key);
      if (result.requeueMs !== undefined) this.addAfter(key, result.requeueMs);
    }
    if (this.dirty.delete(key)) this.add(key);
    this.pump();
  }
}
