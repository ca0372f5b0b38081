/**
 * Status write-back: one commit per pass, only on change, built with plumbing on top of the
 * remote's current head and pushed with fetch-rebuild-retry. A human commit on the status branch
 * is never overwritten: we always rebuild on the remote head, keeping files we do not own.
 */
import * as fs from "node:fs";
import git from "isomorphic-git";
import type { GitMirror } from "../git/mirror.ts";
import { GitSourceError } from "../git/errors.ts";
import { backoffDelay, type BackoffPolicy } from "../loop/backoff.ts";
import { BosunError } from "../model/errors.ts";
import { isOwnedStatusPath } from "./paths.ts";
import type { StatusFiles } from "./documents.ts";
import { editTree } from "./tree-edit.ts";

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

  /** Writes `files` to `target`; commits only when the tree changes. */
  async write(target: StatusTarget, files: StatusFiles, message: string, signal?: AbortSignal): Promise<WriteResult> {
    const { mirror } = this.options;
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      const head = await mirror.fetchBranch(target.branch, signal);
      const baseTree = head
        ? (await git.readCommit({ fs, gitdir: mirror.gitdir, oid: head, cache: mirror.cache })).commit.tree
        : undefined;
      const key = `${target.branch}\0${target.prefix}`;
      const prev = this.last.get(key);
      const tree =
        prev && baseTree !== undefined && prev.tree === baseTree
          ? await editTree(mirror.gitdir, mirror.cache, baseTree, target.prefix, { set: delta(prev.files, files) })
          : await editTree(mirror.gitdir, mirror.cache, baseTree, target.prefix, {
              set: files.files,
              ...(files.replaceObjects
                ? { deleteOwned: (p: string) => isOwnedStatusPath(p) && !files.files.has(p) }
                : {}),
            });
      if (tree === baseTree) {
        this.last.set(key, { tree, files: merged(prev?.files, files) });
        return { attempts: attempt - 1 };
      }
      const seconds = Math.floor(this.now().getTime() / 1000);
      const who = { name: this.identity.name, email: this.identity.email, timestamp: seconds, timezoneOffset: 0 };
      const commit = await git.writeCommit({
        fs,
        gitdir: mirror.gitdir,
        commit: {
          tree,
          parent: head ? [head] : [],
          author: who,
          committer: who,
          message: message.endsWith("\n") ? message : `${message}\n`,
        },
      });
      const outcome = await mirror.push(commit, target.branch, signal);
      if (outcome === "ok") {
        this.last.set(key, { tree, files: merged(prev?.files, files) });
        return { commit, attempts: attempt };
      }
      this.last.delete(key);
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
