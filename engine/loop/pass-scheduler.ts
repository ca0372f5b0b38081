/**
 * What both loops (git and local directory) share: coalesced passes, one abort signal for
 * everything a pass does, exponential backoff after failures, and the idle timer (poll or resync).
 */
import { setMaxListeners } from "node:events";
import type { Logger } from "../log/logger.ts";
import { backoffDelay, type BackoffPolicy } from "./backoff.ts";
import { Coalescer } from "./coalesce.ts";
import type { LoopState } from "./pass.ts";

export interface PassSchedulerOptions<O> {
  readonly logger: Logger;
  readonly state: LoopState;
  /** One pass. Expected failures are outcomes; a throw counts as a failure and backs off. */
  readonly run: (signal: AbortSignal) => Promise<O | undefined>;
  /** Fields for the "pass done" log line. */
  readonly describe: (outcome: O) => Record<string, unknown>;
  readonly onPass?: (outcome: O, reasons: readonly string[]) => void;
  /** Delay until the next pass when nothing failed (poll, resync); undefined or ≤ 0: none. */
  readonly idleDelay: (random: number) => number | undefined;
  /** Reason given to a pass the idle timer starts (`poll`, `resync`). */
  readonly idleReason: string;
  readonly backoff: BackoffPolicy;
  readonly random: () => number;
}

export class PassScheduler<O> {
  private readonly abort = new AbortController();
  private readonly coalescer: Coalescer;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: PassSchedulerOptions<O>) {
    // Every request of a pass listens on this signal; hundreds run concurrently at fleet scale.
    setMaxListeners(0, this.abort.signal);
    this.coalescer = new Coalescer((reasons) => this.pass(reasons));
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Requests a pass now (coalesced with any pass already queued). */
  trigger(reason: string): void {
    if (this.stopped) return;
    this.coalescer.trigger(reason);
  }

  /** Resolves when no pass is running or queued. */
  idle(): Promise<void> {
    return this.coalescer.idle();
  }

  /** Stops the timer, aborts the pass in flight with `reason`, waits for it. */
  async stop(reason: string): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort(new Error(reason));
    await this.coalescer.stop();
  }

  private async pass(reasons: readonly string[]): Promise<void> {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    const { logger, state } = this.options;
    let outcome: O | undefined;
    try {
      outcome = await this.options.run(this.abort.signal);
      if (outcome !== undefined) logger.info({ reasons, ...this.options.describe(outcome) }, "pass done");
    } catch (err) {
      if (!this.abort.signal.aborted) {
        state.consecutiveFailures++;
        logger.error({ reasons }, `pass failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    } finally {
      this.scheduleNext();
    }
    if (outcome !== undefined) this.options.onPass?.(outcome, reasons);
  }

  private scheduleNext(): void {
    if (this.stopped) return;
    const failures = this.options.state.consecutiveFailures;
    let delay: number | undefined;
    if (failures > 0) {
      delay = backoffDelay(failures, this.options.backoff, this.options.random());
      this.options.logger.info({ failures, retryInMs: delay }, "backing off");
    } else {
      delay = this.options.idleDelay(this.options.random());
      if (delay === undefined || delay <= 0) return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.trigger(failures > 0 ? "retry" : this.options.idleReason), delay);
    this.timer.unref();
  }
}
