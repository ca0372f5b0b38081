/** Waiters on a cache's changes: `until(pred)` resolves once `pred()` holds after some change. */
export class ChangeWaiters {
  private readonly waiters = new Set<() => void>();

  /** `stop` is the cache's own signal: when it aborts, every waiter rejects with its reason. */
  constructor(private readonly stop: AbortSignal) {}

  /** Resolves when `pred()` holds, checked now and after each change. */
  until(pred: () => boolean, signal?: AbortSignal): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        this.waiters.delete(check);
        reject(signal?.reason ?? this.stop.reason);
      };
      const check = (): void => {
        if (!pred()) return;
        this.waiters.delete(check);
        signal?.removeEventListener("abort", onAbort);
        this.stop.removeEventListener("abort", onAbort);
        resolve();
      };
      this.waiters.add(check);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.stop.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Something changed: re-check every waiter. */
  changed(): void {
    for (const w of [...this.waiters]) w();
  }
}
