/**
 * One reconcile pass: fetch → resolve → (verify) → read files → loadFleet → consumer → status.
 * Bad state never reaches the consumer: the last good desired state stays in force.
 */
import { loadFleet, type DesiredState, type LoadResult } from "../desired/load-fleet.ts";
import { formatDiagnostic } from "../model/diagnostic.ts";
import type { Logger } from "../log/logger.ts";
import { GitSourceError, toGitSourceError, toStatusWriteError } from "../git/errors.ts";
import type { GitMirror, ResolvedRevision } from "../git/mirror.ts";
import type { FleetTreeReader } from "../git/read-files.ts";
import { redactSecrets } from "../git/redact.ts";
import { verifyCommitSignature, type TrustedKeys } from "../git/verify-signature.ts";
import { shardedStatusFiles, type StatusGate } from "../ha/status-files.ts";
import { renderStatusFiles, DEFAULT_LIMITS } from "../status/documents.ts";
import type { CommitStatus, ObjectStatus } from "../status/types.ts";
import type { StatusCoalescer } from "../status/coalesce.ts";
import type { Identity, StatusWriter } from "../status/writer.ts";
import type { DesiredStateConsumer } from "./consumer.ts";
import { effectiveDesiredCommit } from "./own-commits.ts";

export interface StatusSettings {
  readonly enabled: boolean;
  readonly mode: "branch" | "folder";
  readonly branch: string;
  readonly folder: string;
  readonly maxFileBytes: number;
  /** bosun.yaml `status.minIntervalSeconds`: coalesces status commits while rollouts progress. */
  readonly minIntervalSeconds?: number;
}

export interface PassDeps {
  readonly mirror: GitMirror;
  readonly reader: FleetTreeReader;
  readonly consumer: DesiredStateConsumer;
  readonly writer: StatusWriter;
  readonly identity: Identity;
  readonly logger: Logger;
  readonly ref: string;
  readonly trustedKeys?: TrustedKeys;
  /** Engine defaults, overridden by the `status:` section of the last valid bosun.yaml. */
  readonly statusDefaults: StatusSettings;
  /** At most one status commit per `minIntervalSeconds` while rollouts progress (engine/status/coalesce.ts). */
  readonly coalescer?: StatusCoalescer;
  /** With leader election: which shards' status this replica writes, and the fence checked before a push. */
  readonly statusGate?: StatusGate;
}

/** What the loop remembers between passes. */
export interface LoopState {
  lastGood?: { readonly commit: string; readonly desired: DesiredState; statuses: readonly ObjectStatus[] };
  loaded?: { readonly commit: string; readonly result: LoadResult };
  consecutiveFailures: number;
  passes: number;
}

export type PassOutcome =
  | { readonly kind: "applied"; readonly commit: string; readonly objects: number; readonly statusCommit?: string }
  | {
      readonly kind: "invalid";
      readonly commit: string;
      readonly diagnostics: readonly string[];
      readonly statusCommit?: string;
    }
  | { readonly kind: "unverified"; readonly commit: string; readonly reason: string; readonly statusCommit?: string }
  | { readonly kind: "fetch-failed"; readonly error: GitSourceError; readonly statusCommit?: string };

export function statusSettings(deps: PassDeps, state: LoopState): StatusSettings {
  const s = state.lastGood?.desired.config.status;
  if (!s) return deps.statusDefaults;
  return {
    ...deps.statusDefaults,
    mode: s.mode,
    branch: s.branch,
    folder: s.folder,
    maxFileBytes: s.maxFileBytes,
    ...(s.minIntervalSeconds !== undefined ? { minIntervalSeconds: s.minIntervalSeconds } : {}),
  };
}

export async function runPass(deps: PassDeps, state: LoopState, signal: AbortSignal): Promise<PassOutcome> {
  const { mirror, logger } = deps;
  state.passes++;
  const settings = statusSettings(deps, state);
  let revision: ResolvedRevision;
  try {
    revision = await mirror.fetchRevision(deps.ref, signal);
  } catch (err) {
    const error = toGitSourceError(err, `${mirror.url} ref ${deps.ref}`, mirror.secrets);
    if (error.kind === "aborted" || signal.aborted) throw error;
    return fetchFailed(deps, state, settings, error, signal);
  }
  const failuresBefore = state.consecutiveFailures;
  state.consecutiveFailures = 0;

  let commit = revision.commit;
  if (settings.mode === "folder" && revision.kind === "branch") {
    commit = await effectiveDesiredCommit(mirror, commit, deps.identity, settings.folder);
  }

  if (deps.trustedKeys && deps.trustedKeys.size > 0) {
    const verdict = await verifyCommitSignature(mirror.gitdir, mirror.cache, commit, deps.trustedKeys);
    if (!verdict.ok) {
      logger.error({ commit, repo: mirror.url }, `commit not applied: ${verdict.reason}`);
      const statusCommit = await writeStatus(
        deps,
        state,
        settings,
        {
          phase: "Unverified",
          observedCommit: commit,
          lastError: verdict.reason,
          signature: { verified: false, reason: verdict.reason },
        },
        signal,
      );
      return { kind: "unverified", commit, reason: verdict.reason, ...(statusCommit ? { statusCommit } : {}) };
    }
  }

  let result: LoadResult;
  const seenBefore = state.loaded?.commit === commit;
  if (seenBefore && state.loaded) result = state.loaded.result;
  else {
    const exclude = settings.mode === "folder" ? folderFilter(settings.folder) : undefined;
    let files: Awaited<ReturnType<FleetTreeReader["read"]>>;
    try {
      files = await deps.reader.read(commit, { ...(exclude ? { exclude } : {}), signal });
    } catch (err) {
      if (signal.aborted) throw err;
      // The commit is in the mirror but a tree or blob of it cannot be read: broken objects.
      const detail = redactSecrets(err instanceof Error ? `${err.name}: ${err.message}` : String(err), mirror.secrets);
      const error = new GitSourceError(
        "corrupt",
        `${mirror.url} commit ${commit}`,
        `cannot read the fleet files: ${detail}`,
        { cause: new Error(detail) },
      );
      state.consecutiveFailures = failuresBefore; // keep backing off across read failures
      return fetchFailed(deps, state, settings, error, signal);
    }
    result = loadFleet(files);
    state.loaded = { commit, result };
    logger.info({ commit, files: files.length, ...deps.reader.lastStats }, "read desired state");
  }

  if (!result.ok) {
    const diagnostics = result.diagnostics.map(formatDiagnostic);
    // Logged once per commit: the next polls see the same commit and the same problems.
    (seenBefore ? logger.debug.bind(logger) : logger.error.bind(logger))(
      { commit, diagnostics: diagnostics.slice(0, 20), count: diagnostics.length },
      `commit ${commit} is invalid (${diagnostics.length === 1 ? "1 problem" : `${diagnostics.length} problems`}); ` +
        `keeping ${state.lastGood?.commit ?? "no desired state"}; fix the files and push`,
    );
    const statusCommit = await writeStatus(
      deps,
      state,
      settings,
      { phase: "Invalid", observedCommit: commit, diagnostics },
      signal,
    );
    return { kind: "invalid", commit, diagnostics, ...(statusCommit ? { statusCommit } : {}) };
  }

  let statuses: readonly ObjectStatus[];
  let applyError: string | undefined;
  try {
    statuses = await deps.consumer.apply(result, { commit, signal });
  } catch (err) {
    if (signal.aborted) throw err;
    applyError = redactSecrets(err instanceof Error ? err.message : String(err), mirror.secrets);
    logger.error({ commit }, `apply failed: ${applyError}`);
    statuses = state.lastGood?.commit === commit ? state.lastGood.statuses : [];
  }
  state.lastGood = { commit, desired: result, statuses };
  const next = statusSettings(deps, state);
  const statusCommit = await writeStatus(
    deps,
    state,
    next,
    { phase: "Applied", observedCommit: commit, ...(applyError ? { lastError: `apply: ${applyError}` } : {}) },
    signal,
  );
  return { kind: "applied", commit, objects: result.objects.length, ...(statusCommit ? { statusCommit } : {}) };
}

/** Logs a fetch/read failure, counts it for backoff and, when the server answered, writes it to status. */
async function fetchFailed(
  deps: PassDeps,
  state: LoopState,
  settings: StatusSettings,
  error: GitSourceError,
  signal: AbortSignal,
): Promise<PassOutcome> {
  const { mirror, logger } = deps;
  state.consecutiveFailures++;
  logger.error(
    { kind: error.kind, repo: mirror.url, ref: deps.ref, failures: state.consecutiveFailures },
    `fetch failed: ${error.kind}: ${error.message}`,
  );
  // Status is worth a try when the server answered (not for unreachable/missing repo).
  const reachable = error.kind !== "unreachable" && error.kind !== "repo-missing";
  const statusCommit = reachable
    ? await writeStatus(deps, state, settings, { phase: "FetchFailed", lastError: error.message }, signal)
    : undefined;
  return { kind: "fetch-failed", error, ...(statusCommit ? { statusCommit } : {}) };
}

function folderFilter(folder: string): (path: string) => boolean {
  const prefix = folder.replace(/\/?$/, "/");
  return (path) => path.startsWith(prefix);
}

async function writeStatus(
  deps: PassDeps,
  state: LoopState,
  settings: StatusSettings,
  commitStatus: Omit<CommitStatus, "repo" | "ref" | "appliedCommit">,
  signal: AbortSignal,
): Promise<string | undefined> {
  if (!settings.enabled) return undefined;
  const { mirror, logger } = deps;
  const plan = deps.statusGate?.plan();
  if (plan && plan.held.length === 0) return undefined;
  const objects = commitStatus.phase === "Applied" ? state.lastGood?.statuses : undefined;
  const coalesce = {
    minIntervalSeconds: settings.minIntervalSeconds ?? 30,
    phase: commitStatus.phase,
    observedCommit: commitStatus.observedCommit,
    objects,
  };
  if (deps.coalescer?.shouldDefer(coalesce)) {
    logger.debug({ deferred: deps.coalescer.deferred }, "status commit deferred (status.minIntervalSeconds)");
    return undefined;
  }
  const doc: CommitStatus = {
    repo: mirror.url,
    ref: deps.ref,
    ...commitStatus,
    ...(state.lastGood
      ? { appliedCommit: state.lastGood.commit, objectCount: state.lastGood.desired.objects.length }
      : {}),
  };
  const limits = { ...DEFAULT_LIMITS, maxFileBytes: settings.maxFileBytes };
  const statuses = commitStatus.phase === "Applied" && state.lastGood ? state.lastGood.statuses : undefined;
  const files = plan
    ? shardedStatusFiles(plan, doc, statuses, limits)
    : renderStatusFiles({ commit: doc, ...(statuses ? { objects: statuses } : {}) }, limits);
  if (!files) return undefined;
  const gate = deps.statusGate;
  const beforePush = plan && gate ? () => gate.check(plan.held) : undefined;
  const target =
    settings.mode === "folder"
      ? { branch: trackedBranch(deps.ref), prefix: settings.folder.replace(/\/?$/, "/") }
      : { branch: settings.branch, prefix: "" };
  const short = (commitStatus.observedCommit ?? "").slice(0, 12);
  try {
    const res = await deps.writer.write(
      target,
      files,
      `bosun: status ${commitStatus.phase}${short ? ` for ${short}` : ""}${plan && plan.shards > 1 ? ` (shards ${plan.held.join(",")})` : ""}`,
      signal,
      beforePush,
    );
    if (res.commit) {
      deps.coalescer?.committed(coalesce);
      logger.info({ branch: target.branch, statusCommit: res.commit, attempts: res.attempts }, "status committed");
    }
    return res.commit;
  } catch (err) {
    if (signal.aborted) throw err;
    const e = toStatusWriteError(err, `${mirror.url} branch ${target.branch}`, mirror.secrets);
    logger.warn(
      { branch: target.branch, kind: e.kind },
      `status write failed: ${e.kind}: ${redactSecrets(e.message, mirror.secrets)}`,
    );
    return undefined;
  }
}

function trackedBranch(ref: string): string {
  return ref.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : ref;
}
