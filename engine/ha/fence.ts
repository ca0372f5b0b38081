/**
 * Fencing: a replica may write for a shard only until `renewDeadline` after it sent the last
 * successful acquire/renew of the shard's Lease. Other candidates wait `leaseDuration` (longer)
 * from when they saw the record last change, which is after that request was sent, so a replica
 * that cannot renew (partitioned, stalled) stops writing at least `leaseDuration - renewDeadline`
 * before anyone can take the Lease over. Time is passed in (a monotonic clock in ms). Pure.
 */
export class Fence {
  /** Shard → monotonic time until which writes are allowed. */
  private readonly until = new Map<number, number>();

  constructor(private readonly renewDeadlineMs: number) {}

  /** The Lease was acquired or renewed by a request sent at `sentAt`. */
  renewed(shard: number, sentAt: number): void {
    const next = sentAt + this.renewDeadlineMs;
    this.until.set(shard, Math.max(next, this.until.get(shard) ?? 0));
  }

  /** Stop writing for the shard now (release, or the Lease was seen held by another). */
  drop(shard: number): void {
    this.until.delete(shard);
  }

  /** True while writes for the shard are allowed. */
  holds(shard: number, now: number): boolean {
    const until = this.until.get(shard);
    return until !== undefined && now < until;
  }

  /** The shards writes are allowed for now, ascending. */
  held(now: number): number[] {
    return [...this.until.keys()].filter((s) => this.holds(s, now)).sort((a, b) => a - b);
  }

  /** Milliseconds of write time left for the shard (0 when none). */
  remaining(shard: number, now: number): number {
    return Math.max(0, (this.until.get(shard) ?? 0) - now);
  }
}
