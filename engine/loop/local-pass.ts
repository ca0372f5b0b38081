/**
 * One pass of local-directory mode: read the working tree → loadFleet → consumer → status folder.
 * Same rule as the git pass: invalid state never reaches the consumer; the last good stays.
 */
import { loadFleet, type LoadResult } from "../desired/load-fleet.ts";
import { readDirectory } from "../desired/read-directory.ts";
import { localRevision } from "../git/local-dir.ts";
import type { Logger } from "../log/logger.ts";
import { formatDiagnostic } from "../model/diagnostic.ts";
import { BosunError } from "../model/errors.ts";
import type { FleetFile } from "../model/fleet-object.ts";
import { renderStatusFiles, DEFAULT_LIMITS } from "../status/documents.ts";
import type { StatusFolderWriter } from "../status/folder-writer.ts";
import type { CommitStatus, ObjectStatus } from "../status/types.ts";
import type { DesiredStateConsumer } from "./consumer.ts";
import type { LoopState, PassOutcome } from "./pass.ts";

/** The working tree could not be read (the folder vanished, permissions …) or is not usable. Code `LOCAL_DIR`. */
export class LocalDirError extends BosunError {
  override readonly name = "LocalDirError";
  constructor(
    readonly dir: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    const advice = "check that the folder exists and is readable; Bosun retries with backoff";
    super(`local directory ${dir}`, `${detail} (${advice})`, { ...options, code: "LOCAL_DIR" });
  }
}

export type LocalPassOutcome =
  | Extract<PassOutcome, { kind: "applied" | "invalid" }>
  | { readonly kind: "read-failed"; readonly error: LocalDirError };

export interface LocalPassDeps {
  readonly dir: string;
  readonly consumer: DesiredStateConsumer;
  readonly logger: Logger;
  /** Where status documents go; undefined = log only. */
  readonly statusWriter?: StatusFolderWriter;
  /** Paths (relative to `dir`) that are not fleet files, e.g. a status folder inside the tree. */
  readonly exclude?: (path: string) => boolean;
}

/** Label used as `repo` in status documents and logs. */
const REF = "working tree";

export async function runLocalPass(
  deps: LocalPassDeps,
  state: LoopState,
  signal: AbortSignal,
): Promise<LocalPassOutcome> {
  const { logger } = deps;
  state.passes++;
  let files: FleetFile[];
  try {
    // The same reader as `bosun validate`: same filters, size limit and order.
    files = await readDirectory(deps.dir, signal, deps.exclude ? { exclude: deps.exclude } : {});
  } catch (err) {
    if (signal.aborted) throw err;
    state.consecutiveFailures++;
    const error = new LocalDirError(deps.dir, `cannot read the fleet files (${readFailure(err)})`, { cause: err });
    logger.error({ dir: deps.dir, failures: state.consecutiveFailures }, error.message);
    return { kind: "read-failed", error };
  }
  state.consecutiveFailures = 0;
  const revision = localRevision(files);

  let result: LoadResult;
  if (state.loaded?.commit === revision) result = state.loaded.result;
  else {
    result = loadFleet(files);
    state.loaded = { commit: revision, result };
    logger.info({ dir: deps.dir, revision, files: files.length }, "read desired state from the working tree");
  }

  if (!result.ok) {
    const diagnostics = result.diagnostics.map(formatDiagnostic);
    logger.error(
      { revision, diagnostics: diagnostics.slice(0, 20), count: diagnostics.length },
      `working tree ${revision} is invalid; keeping ${state.lastGood?.commit ?? "no desired state"}`,
    );
    await writeStatus(deps, state, { phase: "Invalid", observedCommit: revision, diagnostics }, signal);
    return { kind: "invalid", commit: revision, diagnostics };
  }

  let statuses: readonly ObjectStatus[];
  let applyError: string | undefined;
  try {
    statuses = await deps.consumer.apply(result, { commit: revision, signal });
  } catch (err) {
    if (signal.aborted) throw err;
    applyError = err instanceof Error ? err.message : String(err);
    logger.error({ revision }, `apply failed: ${applyError}`);
    statuses = state.lastGood?.commit === revision ? state.lastGood.statuses : [];
  }
  state.lastGood = { commit: revision, desired: result, statuses };
  await writeStatus(
    deps,
    state,
    { phase: "Applied", observedCommit: revision, ...(applyError ? { lastError: `apply: ${applyError}` } : {}) },
    signal,
  );
  return { kind: "applied", commit: revision, objects: result.objects.length };
}

/** A read failure in a few words: the errno code (ENOENT, EACCES …), else the message. */
function readFailure(err: unknown): string {
  if (err instanceof BosunError) return err.message;
  return (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
}

async function writeStatus(
  deps: LocalPassDeps,
  state: LoopState,
  commitStatus: Omit<CommitStatus, "repo" | "ref" | "appliedCommit">,
  signal: AbortSignal,
): Promise<void> {
  const writer = deps.statusWriter;
  if (!writer) return;
  const doc: CommitStatus = {
    repo: deps.dir,
    ref: REF,
    ...commitStatus,
    ...(state.lastGood
      ? { appliedCommit: state.lastGood.commit, objectCount: state.lastGood.desired.objects.length }
      : {}),
  };
  const maxFileBytes = state.lastGood?.desired.config.status.maxFileBytes ?? DEFAULT_LIMITS.maxFileBytes;
  const files = renderStatusFiles(
    {
      commit: doc,
      ...(commitStatus.phase === "Applied" && state.lastGood ? { objects: state.lastGood.statuses } : {}),
    },
    { ...DEFAULT_LIMITS, maxFileBytes },
  );
  try {
    const { changed } = await writer.write(files, signal);
    if (changed.length > 0) deps.logger.info({ statusDir: writer.dir, files: changed.length }, "status written");
  } catch (err) {
    if (signal.aborted) throw err;
    deps.logger.warn(
      { statusDir: writer.dir },
      `status write failed: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}
