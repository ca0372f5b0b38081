/**
 * A wait for new work: it ends when `wake()` is called, when the signal aborts, or after an
 * optional timeout. The agent's loops (status writer, event queue, process controllers) sleep on one.
 */
export class Wakeup {
  private waker: (() => void) | undefined;

  /** Ends the wait in progress, if any. */
  wake(): void {
    this.waker?.();
  }

  wait(signal: AbortSignal, timeoutMs?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => done(), timeoutMs);
      const done = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        signal.removeEventListener("abort", done);
        if (this.waker === done) this.waker = undefined;
        resolve();
      };
      this.waker = done;
      signal.addEventListener("abort", done, { once: true });
    });
  }
}
