/** A concurrency limit for async work (FIFO): at most `size` tasks run at once. */
export class Pool {
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor(readonly size: number) {
    if (!(Number.isInteger(size) && size >= 1))
      throw new RangeError(`pool size must be a positive integer, got ${size}`);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.size) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }

  get pending(): number {
    return this.queue.length;
  }
}
