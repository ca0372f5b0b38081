/**
 * Status write-back: one commit per pass, only on change, built with plumbing on top of the
 * remote's current head and pushed with fetch-rebuild-retry. A human commit on the status branch
 * is never overwritten: we always rebuild on the remote head, keeping files we do not own.
 *
 * The cost follows what changed, not the size of the status tree: the files written are the
 * delta against what we last pushed; when someone else's commit sits on top of ours, only the
 * objects we lack are fetched (`have` = our last commit) and only the paths that commit changed
 * are looked at again (a tree diff that skips equal subtrees); the push carries just the new
 * blobs, the trees above them and the commit.
 */
import type { GitMirror } from "../git/mirror.ts";
import { GitSourceError } from "../git/errors.ts";
import type { ObjectStore } from "../git/object-store.ts";
import { parseCommit, type GitObject } from "../git/pack.ts";
import { backoffDelay, type BackoffPolicy } from "../loop/backoff.ts";
import { BosunError } from "../model/errors.ts";
import { isOwnedStatusPath } from "./paths.ts";
import type { StatusFiles } from "./documents.ts";
import { editTreeIn, type TreeChanges } from "./tree-edit.ts";

export interface Identity {
  readonly name: string;
  readonly email: string;
}

export const DEFAULT_IDENTITY: Identity = { name: "Bosun", email: "bosun@localhost" };

export interface StatusTarget {
  /** Branch to commit to: the status branch, or the tracked branch in folder mode. */
  readonly branch: string;
  /** `""` (branch mode: files at the root) or e.g. `status/` (folder mode). */
  readonly prefix: string;
}

export interface StatusWriterOptions {
  readonly mirror: GitMirror;
  readonly identity?: Identity;
  /** Push attempts before giving up for this pass (default 6). */
  readonly maxAttempts?: number;
  readonly backoff?: BackoffPolicy;
  readonly random?: () => number;
  readonly now?: () => Date;
}

export interface WriteResult {
  /** The new status commit, or undefined when nothing changed. */
  readonly commit?: string;
  /** Push attempts made (0 when nothing changed). */
  readonly attempts: number;
}

/** The status branch could not be written (pushes kept being rejected). Code `STATUS_WRITE`. */
export class StatusWriteError extends BosunError {
  override readonly name = "StatusWriteError";
  constructor(subject: string, message: string, options?: { cause?: unknown }) {
    super(subject, message, { ...options, code: "STATUS_WRITE" });
  }
}

export class StatusWriter {
  private readonly identity: Identity;
  private readonly maxAttempts: number;
  private readonly backoff: BackoffPolicy;
  private readonly random: () => number;
  private readonly now: () => Date;
  /** What we last pushed per target: when the remote head still has that tree, only the delta is written. */
  private readonly last = new Map<string, { tree: string; files: ReadonlyMap<string, string> }>();

  constructor(private readonly options: StatusWriterOptions) {
    this.identity = options.identity ?? DEFAULT_IDENTITY;
    this.maxAttempts = options.maxAttempts ?? 6;
    this.backoff = options.backoff ?? { baseMs: 100, maxMs: 5_000, factor: 2, jitter: 0.5 };
    this.random = options.random ?? Math.random;
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Writes `files` to `target`; commits only when the tree changes. `beforePush` runs right before
   * each push and may refuse it by throwing (fencing: a replica that lost its Lease pushes nothing).
   */
  async write(
    target: StatusTarget,
    files: StatusFiles,
    message: string,
    signal?: AbortSignal,
    beforePush?: () => void,
  ): Promise<WriteResult> {
    const owned = (p: string): boolean => isOwnedStatusPath(p) && (files.owns?.(p) ?? true);
    const { mirror } = this.options;
    const store = mirror.objects;
    const key = `${target.branch}\0${target.prefix}`;
    // The pass's ref check asks for the status branch too: an unchanged poll stays one request.
    mirror.watchRef(`refs/heads/${target.branch}`);
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      const head = await mirror.fetchBranch(target.branch, signal, attempt === 1 ? { maxAgeMs: 15_000 } : {});
      const baseTree = head ? await treeOf(store, head) : undefined;
      const prev = this.last.get(key);
      let changes: TreeChanges;
      if (prev && baseTree !== undefined && prev.tree === baseTree) {
        changes = { set: delta(prev.files, files) };
      } else if (prev && baseTree !== undefined) {
        // Someone else's commit on top of ours: our delta, plus the files we own that it touched.
        const set = delta(prev.files, files);
        for (const p of await changedPaths(store, prev.tree, baseTree, target.prefix)) {
          if (set.has(p) || !owned(p)) continue;
          const mine = files.files.get(p) ?? (files.replaceObjects ? undefined : prev.files.get(p));
          if (mine !== undefined) set.set(p, mine);
          else if (files.replaceObjects) set.set(p, null);
        }
        changes = { set };
      } else {
        changes = {
          set: files.files,
          ...(files.replaceObjects ? { deleteOwned: (p: string) => owned(p) && !files.files.has(p) } : {}),
        };
      }
      const edit = await editTreeIn(store, baseTree, target.prefix, changes);
      if (edit.tree === baseTree) {
        this.last.set(key, { tree: edit.tree, files: merged(prev?.files, files) });
        return { attempts: attempt - 1 };
      }
      const seconds = Math.floor(this.now().getTime() / 1000);
      const who = `${this.identity.name} <${this.identity.email}> ${seconds} +0000`;
      const body = `tree ${edit.tree}\n${head ? `parent ${head}\n` : ""}author ${who}\ncommitter ${who}\n\n${
        message.endsWith("\n") ? message : `${message}\n`
      }`;
      const bytes = new TextEncoder().encode(body);
      const commit = await store.write("commit", bytes);
      const objects: GitObject[] = [...edit.added.values(), { type: "commit", bytes }];
      beforePush?.();
      const outcome = await mirror.pushObjects(commit, objects, target.branch, head, signal);
      if (outcome === "ok") {
        this.last.set(key, { tree: edit.tree, files: merged(prev?.files, files) });
        return { commit, attempts: attempt };
      }
      // Rejected: the remote moved. `last` still describes our last pushed tree: the next attempt
      // diffs the new head against it.
      if (attempt >= this.maxAttempts) {
        throw new StatusWriteError(
          `status push to ${mirror.url} branch ${target.branch}`,
          `rejected ${attempt} times (another writer keeps moving it); will retry next pass`,
          { cause: new GitSourceError("push-rejected", `${mirror.url} branch ${target.branch}`, "non-fast-forward") },
        );
      }
      await sleep(backoffDelay(attempt, this.backoff, this.random()), signal);
    }
  }
}

async function treeOf(store: ObjectStore, commit: string): Promise<string> {
  const obj = await store.read(commit);
  if (obj.type !== "commit") throw new Error(`${commit} is a ${obj.type}, not a commit`);
  return parseCommit(obj.bytes).tree;
}

/**
 * Paths (relative to `prefix`) whose blob differs between root trees `a` and `b`; equal subtrees
 * are skipped, so the cost follows the change, not the tree.
 */
export async function changedPaths(store: ObjectStore, a: string, b: string, prefix: string): Promise<string[]> {
  let ta: string | undefined = a;
  let tb: string | undefined = b;
  for (const part of prefix.split("/").filter(Boolean)) {
    if (ta === tb) return [];
    ta = ta ? (await store.tree(ta)).find((e) => e.path === part && e.mode === "040000")?.oid : undefined;
    tb = tb ? (await store.tree(tb)).find((e) => e.path === part && e.mode === "040000")?.oid : undefined;
  }
  const out: string[] = [];
  await diffTrees(store, ta, tb, "", out);
  return out;
}

async function diffTrees(
  store: ObjectStore,
  a: string | undefined,
  b: string | undefined,
  rel: string,
  out: string[],
): Promise<void> {
  if (a === b) return;
  const ea = new Map((a ? await store.tree(a) : []).map((e) => [e.path, e]));
  const eb = new Map((b ? await store.tree(b) : []).map((e) => [e.path, e]));
  for (const name of new Set([...ea.keys(), ...eb.keys()])) {
    const x = ea.get(name);
    const y = eb.get(name);
    if (x && y && x.oid === y.oid && x.mode === y.mode) continue;
    const xDir = x?.mode === "040000";
    const yDir = y?.mode === "040000";
    if (xDir || yDir) await diffTrees(store, xDir ? x.oid : undefined, yDir ? y.oid : undefined, `${rel}${name}/`, out);
    if ((x && !xDir) || (y && !yDir)) out.push(rel + name);
  }
}

/** Files whose content differs from what we last wrote, plus deletions of owned files now gone. */
function delta(prev: ReadonlyMap<string, string>, next: StatusFiles): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const [p, text] of next.files) if (prev.get(p) !== text) out.set(p, text);
  if (next.replaceObjects)
    for (const p of prev.keys()) if (!next.files.has(p) && isOwnedStatusPath(p)) out.set(p, null);
  return out;
}

function merged(prev: ReadonlyMap<string, string> | undefined, next: StatusFiles): ReadonlyMap<string, string> {
  if (next.replaceObjects || !prev) return new Map(next.files);
  const out = new Map(prev);
  for (const [p, t] of next.files) out.set(p, t);
  return out;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
