/**
 * Local-directory mode (development): desired state from a working tree instead of a remote.
 * Same shape as ReconcileLoop (start/trigger/idle/stop/state): a debounced chokidar watch, a
 * periodic resync (drift correction) and backoff after read failures feed coalesced passes that
 * hand valid state to the same DesiredStateConsumer. No status commits (there is no remote):
 * status documents go to `statusDir` when given, else only to the log.
 */
import { isAbsolute, relative, resolve, sep } from "node:path";
import { isDirectory, watchLocalDir, type LocalWatch } from "../git/local-dir.ts";
import type { Logger } from "../log/logger.ts";
import { StatusFolderWriter } from "../status/folder-writer.ts";
import { DEFAULT_BACKOFF, type BackoffPolicy } from "./backoff.ts";
import type { DesiredStateConsumer } from "./consumer.ts";
import { LocalDirError, runLocalPass, type LocalPassDeps, type LocalPassOutcome } from "./local-pass.ts";
import { PassScheduler } from "./pass-scheduler.ts";
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
  private readonly scheduler: PassScheduler<LocalPassOutcome>;
  private stopped = false;

  constructor(private readonly options: LocalDirLoopOptions) {
    this.scheduler = new PassScheduler<LocalPassOutcome>({
      logger: options.logger,
      state: this.state,
      run: async (signal) => (this.deps ? runLocalPass(this.deps, this.state, signal) : undefined),
      describe: (outcome) => ({ outcome: outcome.kind, ...("commit" in outcome ? { revision: outcome.commit } : {}) }),
      ...(options.onPass ? { onPass: options.onPass } : {}),
      idleDelay: () => options.config.resyncMs ?? 60_000,
      idleReason: "resync",
      backoff: options.config.backoff ?? DEFAULT_BACKOFF,
      random: options.random ?? Math.random,
    });
  }

  /** Checks the folder, starts watching (resolves once the initial scan is done), runs the first pass. */
  async start(): Promise<void> {
    const { config, logger } = this.options;
    const dir = resolve(config.dir);
    if (!(await isDirectory(dir)))
      throw new LocalDirError(dir, "is not a directory; pass the working tree of a fleet repo (--dir or local.dir)");
    const statusDir = config.statusDir !== undefined ? resolve(config.statusDir) : undefined;
    // A status folder inside the tree is neither read as fleet files nor watched (no pass loop).
    const inside = statusDir !== undefined ? relative(dir, statusDir).split(sep).join("/") : undefined;
    const exclude =
      inside !== undefined && inside !== "" && !inside.startsWith("..") && !isAbsolute(inside)
        ? (path: string): boolean => path === inside || path.startsWith(`${inside}/`)
        : undefined;
    if (inside === "")
      throw new LocalDirError(
        dir,
        "the status folder must not be the working tree itself; choose another --status-dir",
      );
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
      onError: (error) =>
        logger.warn({ dir }, `watch error: ${error instanceof Error ? error.message : String(error)}`),
    });
    await this.watch.ready;
    logger.info({ dir, ...(statusDir ? { statusDir } : { status: "log only" }) }, "local directory loop started");
    this.trigger("start");
  }

  /** Requests a pass now (coalesced with any pass already queued). */
  trigger(reason: string): void {
    if (this.stopped) return;
    this.scheduler.trigger(reason);
  }

  /** Resolves when no pass is running or queued. */
  idle(): Promise<void> {
    return this.scheduler.idle();
  }

  /** Stops watching (never from inside a watcher event: see watchLocalDir), aborts and waits for the pass in flight. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.watch?.close();
    await this.scheduler.stop("local directory loop stopping");
    this.options.logger.info("local directory loop stopped");
  }
}
