/**
 * Trigger coalescing: at most one pass runs at a time; any number of triggers that arrive while
 * a pass runs become exactly one following pass (carrying all their reasons).
 */
export class Coalescer {
  private running: Promise<void> | undefined;
  private pending: string[] = [];
  private stopped = false;

  constructor(private readonly run: (reasons: readonly string[]) => Promise<void>) {}

  /** Requests a pass. Returns at once; the pass runs now or right after the current one. */
  trigger(reason: string): void {
    if (this.stopped) return;
    this.pending.push(reason);
    if (!this.running) this.running = this.drain();
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Resolves when no pass is running or queued. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Drops queued triggers, accepts no new ones, waits for the running pass. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.pending = [];
    await this.idle();
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0 && !this.stopped) {
        const reasons = [...new Set(this.pending)];
        this.pending = [];
        try {
          await this.run(reasons);
        } catch {
          // the runner reports its own failures; one failed pass never stops the loop
        }
      }
    } finally {
      this.running = undefined;
    }
  }
}
