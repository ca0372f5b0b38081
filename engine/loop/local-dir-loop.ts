/**
 * Local-directory mode (development): desired state from a working tree instead of a remote.
 * Same shape as ReconcileLoop (start/trigger/idle/stop/state): a debounced chokidar watch, a
 * periodic resync (drift correction) and backoff after read failures feed coalesced passes that
 * hand valid state to the same DesiredStateConsumer. No status commits (there is no remote):
 * status documents go to `statusDir` when given, else only to the log.
 */
import { setMaxListeners } from "node:events";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { isDirectory, watchLocalDir, type LocalWatch } from "../git/local-dir.ts";
import type { Logger } from "../log/logger.ts";
import { StatusFolderWriter } from "../status/folder-writer.ts";
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from "./backoff.ts";
import { Coalescer } from "./coalesce.ts";
import type { DesiredStateConsumer } from "./consumer.ts";
import { LocalDirError, runLocalPass, type LocalPassDeps, type LocalPassOutcome } from "./local-pass.ts";
import type { LoopState } from "./pass.ts";

/** Engine config `local:` (used instead of `git:`). */
export interface LocalLoopConfig {
  /** The working tree holding the fleet files (bosun.yaml at its root). */
  readonly dir: string;
  /** Quiet time after the last change of a burst before a pass (default 200 ms). */
  readonly debounceMs?: number;
  /** Folder for the status documents (`_commit.yaml`, `STATUS.md`, `objects/…`); absent = log only. */
  readonly statusDir?: string;
  /** Pass at least this often even without changes, to correct drift (default 60 s; 0 = off). */
  readonly resyncMs?: number;
  /** Retry backoff after a failed read (default 1 s … 5 min). */
  readonly backoff?: BackoffPolicy;
}

export interface LocalDirLoopOptions {
  readonly config: LocalLoopConfig;
  readonly consumer: DesiredStateConsumer;
  readonly logger: Logger;
  /** Called after every pass (tests and metrics). */
  readonly onPass?: (outcome: LocalPassOutcome, reasons: readonly string[]) => void;
  readonly random?: () => number;
}

export class LocalDirLoop {
  readonly state: LoopState = { consecutiveFailures: 0, passes: 0 };
  private deps: LocalPassDeps | undefined;
  private watch: LocalWatch | undefined;
  private readonly abort = new AbortController();
  private readonly coalescer: Coalescer;
  private timer: NodeJS.Timeout | undefined;
  private readonly random: () => number;
  private stopped = false;

  constructor(private readonly options: LocalDirLoopOptions) {
    this.random = options.random ?? Math.random;
    setMaxListeners(0, this.abort.signal);
    this.coalescer = new Coalescer((reasons) => this.pass(reasons));
  }

  /** Checks the folder, starts watching (resolves once the initial scan is done), runs the first pass. */
  async start(): Promise<void> {
    const { config, logger } = this.options;
    const dir = resolve(config.dir);
    if (!(await isDirectory(dir))) throw new LocalDirError(dir, "is not a directory; pass the working tree of a fleet repo (--dir or local.dir)");
    const statusDir = config.statusDir !== undefined ? resolve(config.statusDir) : undefined;
    // A status folder inside the tree is neither read as fleet files nor watched (no pass loop).
    const inside = statusDir !== undefined ? relative(dir, statusDir).split(sep).join("/") : undefined;
    const exclude = inside !== undefined && inside !== "" && !inside.startsWith("..") && !isAbsolute(inside)
      ? (path: string): boolean => path === inside || path.startsWith(`${inside}/`)
      : undefined;
    if (inside === "") throw new LocalDirError(dir, "the status folder must not be the working tree itself; choose another --status-dir");
    this.deps = {
      dir,
      consumer: this.options.consumer,
      logger,
      ...(statusDir !== undefined ? { statusWriter: new StatusFolderWriter(statusDir) } : {}),
      ...(exclude ? { exclude } : {}),
    };
    this.watch = watchLocalDir(dir, () => this.trigger("change"), {
      ...(config.debounceMs !== undefined ? { debounceMs: config.debounceMs } : {}),
      ...(exclude ? { ignore: exclude } : {}),
      onError: (error) => logger.warn({ dir }, `watch error: ${error instanceof Error ? error.message : String(error)}`),
    });
    await this.watch.ready;
    logger.info({ dir, ...(statusDir ? { statusDir } : { status: "log only" }) }, "local directory loop started");
    this.trigger("start");
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

  /** Stops watching (never from inside a watcher event: see watchLocalDir), aborts and waits for the pass in flight. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort(new Error("local directory loop stopping"));
    await this.watch?.close();
    await this.coalescer.stop();
    this.options.logger.info("local directory loop stopped");
  }

  private async pass(reasons: readonly string[]): Promise<void> {
    const deps = this.deps;
    if (!deps || this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    let outcome: LocalPassOutcome | undefined;
    try {
      outcome = await runLocalPass(deps, this.state, this.abort.signal);
      this.options.logger.info({ reasons, outcome: outcome.kind, ...("commit" in outcome ? { revision: outcome.commit } : {}) }, "pass done");
    } catch (err) {
      if (!this.abort.signal.aborted) {
        this.state.consecutiveFailures++;
        this.options.logger.error({ reasons }, `pass failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    } finally {
      this.scheduleNext();
    }
    if (outcome) this.options.onPass?.(outcome, reasons);
  }

  private scheduleNext(): void {
    if (this.stopped) return;
    const failures = this.state.consecutiveFailures;
    let delay: number;
    if (failures > 0) {
      delay = backoffDelay(failures, this.options.config.backoff ?? DEFAULT_BACKOFF, this.random());
      this.options.logger.info({ failures, retryInMs: delay }, "backing off");
    } else {
      delay = this.options.config.resyncMs ?? 60_000;
      if (delay <= 0) return;
    }
    this.timer = setTimeout(() => this.trigger(failures > 0 ? "retry" : "resync"), delay);
    this.timer.unref();
  }
}
