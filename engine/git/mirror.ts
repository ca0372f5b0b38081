/**
 * A bare, gitdir-only local mirror of the desired-state repo (no worktree, ever), driven by
 * isomorphic-git with one long-lived `cache` object. Fetches are shallow and single-branch; an
 * unchanged remote costs one ref advertisement and no pack.
 */
import * as fs from "node:fs";
import { mkdir } from "node:fs/promises";
import git from "isomorphic-git";
import { basicAuthHeader, secretsOf, type GitCredentials } from "./credentials.ts";
import { classifyPushRejection, GitSourceError, toGitSourceError } from "./errors.ts";
import { createHttpClient } from "./http-client.ts";
import { redactSecrets, splitUrlUserinfo } from "./redact.ts";

export interface GitMirrorOptions {
  /** Local folder of the bare mirror (created when missing). */
  readonly gitdir: string;
  /** Remote URL; userinfo in it is moved into the credentials and never shown. */
  readonly url: string;
  readonly credentials?: GitCredentials;
  /** Shallow depth of fetches (default 1). */
  readonly depth?: number;
  /** Per-request timeout in ms (default 60 000). */
  readonly requestTimeoutMs?: number;
}

export type RevisionKind = "branch" | "tag" | "commit";

export interface ResolvedRevision {
  /** The configured ref as given (branch, tag or SHA). */
  readonly ref: string;
  /** Full remote ref name (`refs/heads/main`), or the SHA itself for a pinned commit. */
  readonly fullRef: string;
  readonly kind: RevisionKind;
  /** The commit SHA (annotated tags peeled). */
  readonly commit: string;
}

const SHA = /^[0-9a-f]{40}$/;

export class GitMirror {
  /** The one isomorphic-git cache of this repo: packfile indexes stay parsed between passes. */
  readonly cache: object = {};
  readonly gitdir: string;
  /** The URL without credentials: safe for logs and status. */
  readonly url: string;
  /** Strings that never appear in any output. */
  readonly secrets: readonly string[];
  private readonly headers: Record<string, string>;
  private readonly depth: number;
  private readonly timeoutMs: number;

  private constructor(options: GitMirrorOptions) {
    const split = splitUrlUserinfo(options.url);
    const creds: GitCredentials | undefined =
      options.credentials ??
      (split.password !== undefined ? { username: split.username ?? "", password: split.password } : undefined);
    this.gitdir = options.gitdir;
    this.url = split.url;
    this.secrets = secretsOf(creds);
    this.headers = creds ? { Authorization: basicAuthHeader(creds) } : {};
    this.depth = options.depth ?? 1;
    this.timeoutMs = options.requestTimeoutMs ?? 60_000;
  }

  /** Opens (and initializes when new) the mirror. */
  static async open(options: GitMirrorOptions): Promise<GitMirror> {
    const mirror = new GitMirror(options);
    await mkdir(mirror.gitdir, { recursive: true });
    if (!fs.existsSync(`${mirror.gitdir}/HEAD`)) {
      await git.init({ fs, gitdir: mirror.gitdir, bare: true, defaultBranch: "main" });
    }
    // The remote's clean URL (never credentials) and a refspec isomorphic-git's fetch needs.
    await git.setConfig({ fs, gitdir: mirror.gitdir, path: "remote.origin.url", value: mirror.url });
    await git.setConfig({
      fs,
      gitdir: mirror.gitdir,
      path: "remote.origin.fetch",
      value: "+refs/heads/*:refs/remotes/origin/*",
    });
    return mirror;
  }

  /** Lists the remote's refs (`refs/heads/…`, `refs/tags/…`, tags peeled). */
  async listRemoteRefs(signal?: AbortSignal): Promise<Map<string, string>> {
    return this.wrap(`${this.url} (list refs)`, async () => {
      const refs = await git.listServerRefs({
        http: createHttpClient(signal, this.timeoutMs),
        url: this.url,
        headers: { ...this.headers },
        protocolVersion: 2,
        peelTags: true,
      });
      const out = new Map<string, string>();
      for (const r of refs) out.set(r.ref, r.peeled ?? r.oid);
      return out;
    });
  }

  /**
   * Fetches `ref` (branch, tag or full commit SHA) and returns the commit it names.
   * Throws GitSourceError (`ref-missing`, `auth`, `unreachable`, `repo-missing`, `corrupt`).
   */
  async fetchRevision(ref: string, signal?: AbortSignal): Promise<ResolvedRevision> {
    const subject = `${this.url} ref ${ref}`;
    const refs = await this.listRemoteRefs(signal);
    if (SHA.test(ref)) {
      if (!(await this.hasCommit(ref))) {
        const tip = [...refs.entries()].find(([name, oid]) => oid === ref && name.startsWith("refs/"));
        if (tip) {
          await this.fetchRef(tip[0], this.depth, signal, subject);
          await this.requireFetched(ref, tip[0], subject);
        } else {
          // Not a tip: deepen the default branch until the commit shows up.
          const head = refs.has("HEAD") ? "HEAD" : [...refs.keys()].find((r) => r.startsWith("refs/heads/"));
          if (head) await this.fetchRef(head, 1_000_000, signal, subject);
        }
        if (!(await this.hasCommit(ref)))
          throw new GitSourceError("ref-missing", subject, "commit not found on the remote");
      }
      return { ref, fullRef: ref, kind: "commit", commit: ref };
    }
    const fullRef = [ref, `refs/heads/${ref}`, `refs/tags/${ref}`].find((r) => r.startsWith("refs/") && refs.has(r));
    const remoteOid = fullRef ? refs.get(fullRef) : undefined;
    if (!fullRef || !remoteOid) throw new GitSourceError("ref-missing", subject, "no such branch or tag on the remote");
    const kind: RevisionKind = fullRef.startsWith("refs/tags/") ? "tag" : "branch";
    if (!(await this.hasCommit(remoteOid))) {
      await this.fetchRef(fullRef, this.depth, signal, subject);
      await this.requireFetched(remoteOid, fullRef, subject);
    }
    const commit = await this.peel(remoteOid, subject);
    await git.writeRef({ fs, gitdir: this.gitdir, ref: fullRef, value: commit, force: true });
    return { ref, fullRef, kind, commit };
  }

  /**
   * Fetches a branch that may not exist yet (the status branch). Returns its commit, or
   * `undefined` when the remote has no such branch.
   */
  async fetchBranch(branch: string, signal?: AbortSignal): Promise<string | undefined> {
    const fullRef = `refs/heads/${branch}`;
    const refs = await this.listRemoteRefs(signal);
    const oid = refs.get(fullRef);
    if (!oid) return undefined;
    if (!(await this.hasCommit(oid))) await this.fetchRef(fullRef, this.depth, signal, `${this.url} branch ${branch}`);
    await git.writeRef({ fs, gitdir: this.gitdir, ref: fullRef, value: oid, force: true });
    return oid;
  }

  /**
   * Pushes local commit `commit` to `refs/heads/<branch>` (fast-forward only).
   * Returns `"rejected"` when the remote moved on (non-fast-forward); throws on other failures.
   */
  async push(commit: string, branch: string, signal?: AbortSignal): Promise<"ok" | "rejected"> {
    const localRef = `refs/bosun-out/${branch}`;
    await git.writeRef({ fs, gitdir: this.gitdir, ref: localRef, value: commit, force: true });
    try {
      const result = await git.push({
        fs,
        http: createHttpClient(signal, this.timeoutMs),
        gitdir: this.gitdir,
        url: this.url,
        ref: localRef,
        remoteRef: `refs/heads/${branch}`,
        headers: { ...this.headers },
        cache: this.cache,
      });
      const entry = result.refs[`refs/heads/${branch}`];
      if (!result.ok || (entry && !entry.ok)) {
        return this.rejection(entry?.error ?? result.error ?? "unknown", branch);
      }
      await git.writeRef({ fs, gitdir: this.gitdir, ref: `refs/heads/${branch}`, value: commit, force: true });
      return "ok";
    } catch (err) {
      if (err instanceof GitSourceError) throw err;
      const code = (err as { code?: string }).code;
      if (code === "PushRejectedError") return "rejected";
      if (code === "GitPushError") return this.rejection(pushErrorReason(err, branch), branch);
      throw toGitSourceError(err, `${this.url} branch ${branch}`, this.secrets);
    }
  }

  /** `"rejected"` for a race (the caller refetches and retries); throws for a refusal or a broken server repo. */
  private rejection(reason: string, branch: string): "rejected" {
    const kind = classifyPushRejection(reason);
    if (kind === "race") return "rejected";
    throw new GitSourceError(
      kind,
      `${this.url} branch ${branch}`,
      `push refused: ${redactSecrets(reason, this.secrets)}`,
    );
  }

  async hasCommit(oid: string): Promise<boolean> {
    try {
      // "content", not "deflated": a loose object read as deflated reports type "deflated", not its real type.
      const { type } = await git.readObject({ fs, gitdir: this.gitdir, oid, cache: this.cache, format: "content" });
      return type === "commit" || type === "tag";
    } catch {
      return false;
    }
  }

  private async fetchRef(
    fullRef: string,
    depth: number,
    signal: AbortSignal | undefined,
    subject: string,
  ): Promise<void> {
    await this.wrap(subject, async () => {
      await git.fetch({
        fs,
        http: createHttpClient(signal, this.timeoutMs),
        gitdir: this.gitdir,
        url: this.url,
        ref: fullRef,
        singleBranch: true,
        depth,
        tags: false,
        headers: { ...this.headers },
        cache: this.cache,
      });
    });
  }

  /**
   * The remote advertised `fullRef` at `oid`, yet the fetch brought no readable object for it
   * (git http-backend's upload-pack died on a corrupt or missing object and isomorphic-git saw
   * an empty pack). That is a broken server repo, not a missing ref.
   */
  private async requireFetched(oid: string, fullRef: string, subject: string): Promise<void> {
    if (await this.hasCommit(oid)) return;
    throw new GitSourceError(
      "corrupt",
      subject,
      `the remote advertises ${fullRef} at ${oid} but sent no readable objects for it (corrupt or missing objects in the server's repository)`,
    );
  }

  private async peel(oid: string, subject: string): Promise<string> {
    let cur = oid;
    for (let i = 0; i < 5; i++) {
      const { type, object } = await this.wrap(subject, () =>
        git.readObject({ fs, gitdir: this.gitdir, oid: cur, cache: this.cache, format: "parsed" }),
      );
      if (type === "commit") return cur;
      if (type === "tag") {
        cur = (object as { object: string }).object;
        continue;
      }
      throw new GitSourceError("ref-missing", subject, `ref points to a ${type}, not a commit`);
    }
    throw new GitSourceError("ref-missing", subject, "tag chain too deep");
  }

  private async wrap<T>(subject: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toGitSourceError(err, subject, this.secrets);
    }
  }
}

/** The per-ref reason of isomorphic-git's GitPushError (`data.result.refs[ref].error`), else its message. */
function pushErrorReason(err: unknown, branch: string): string {
  const data = (err as { data?: { result?: { error?: unknown; refs?: Record<string, { error?: unknown }> } } }).data;
  const refError = data?.result?.refs?.[`refs/heads/${branch}`]?.error;
  if (typeof refError === "string" && refError !== "") return refError;
  if (typeof data?.result?.error === "string" && data.result.error !== "") return data.result.error;
  return err instanceof Error ? err.message : String(err);
}
