/** Webhook deliveries already seen, by delivery id: a replayed one is dropped. Bounded (oldest forgotten first). */
export class DeliveryLog {
  private readonly seen = new Set<string>();
  constructor(private readonly capacity = 10_000) {}

  /** True the first time an id is seen; false for a replay. */
  admit(id: string): boolean {
    if (this.seen.has(id)) return false;
    this.seen.add(id);
    if (this.seen.size > this.capacity) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    return true;
  }
}
