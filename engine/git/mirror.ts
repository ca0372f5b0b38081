/**
 * A bare, gitdir-only local mirror of the desired-state repo (no worktree, ever). isomorphic-git
 * owns the repository layout (init, config, refs, reading its packs and loose objects, the v1
 * fallback); the hot paths are Bosun's own (see ARCHITECTURE.md, "Git at fleet scale"):
 *
 * - a ref check is one protocol v2 `ls-refs` POST with `ref-prefix` on a kept-alive connection; an
 *   unchanged answer (byte-equal to the last) is not parsed again and resolves from memory;
 * - a fetch is one protocol v2 `fetch` POST (shallow, `want` + `have`: only missing objects); the
 *   pack is indexed in one pass (Node zlib + crypto, `pack.ts`) and its objects go straight into
 *   the shared object cache (`object-store.ts`), so reading the tree costs no second inflate;
 * - a status push is one `git-receive-pack` POST carrying only the objects the commit added.
 *
 * Servers that do not speak protocol v2 fall back to isomorphic-git's fetch and ls-refs.
 */
import * as fs from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import git from "isomorphic-git";
import { basicAuthHeader, secretsOf, type GitCredentials } from "./credentials.ts";
import { classifyPushRejection, GitSourceError, toGitSourceError } from "./errors.ts";
import { createHttpClient } from "./http-client.ts";
import { objectStoreFor, type ObjectStore } from "./object-store.ts";
import { buildPack, indexPack, PackError, type GitObject } from "./pack.ts";
import { redactSecrets, splitUrlUserinfo } from "./redact.ts";
import { fetchPack, lsRefsRaw, parseLsRefs, ProtocolError, receivePack, type SmartHttpOptions } from "./smart-http.ts";

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
const ZERO = "0".repeat(40);

/** What the last ref check of one ref resolved to: an unchanged answer returns it as is. */
interface Resolved {
  readonly remoteOid: string;
  readonly result: ResolvedRevision;
}

export class GitMirror {
  /** The one isomorphic-git cache of this repo: packfile indexes stay parsed between passes. */
  readonly cache: object = {};
  readonly gitdir: string;
  /** The URL without credentials: safe for logs and status. */
  readonly url: string;
  /** Strings that never appear in any output. */
  readonly secrets: readonly string[];
  /** The shared object cache (fetch fills it, the reader and the status writer read it). */
  readonly objects: ObjectStore;
  /** Requests sent and packs received (tests and benches). */
  readonly stats = { lsRefs: 0, lsRefsParsed: 0, fetches: 0, fetchedObjects: 0, pushes: 0, pushedObjects: 0 };
  private readonly headers: Record<string, string>;
  private readonly depth: number;
  private readonly timeoutMs: number;
  /** false once the server answered a v2 request with something else: isomorphic-git's v1 paths from then on. */
  private v2 = true;
  private readonly lastLsRefs = new Map<string, { raw: Buffer; refs: Map<string, string> }>();
  private readonly resolved = new Map<string, Resolved>();
  /** Refs every ref check also asks for (the status branch), and what the last answer said about them. */
  private readonly watched = new Set<string>();
  private readonly seen = new Map<string, { oid: string | undefined; at: number }>();
  /** Local ref values last written (an unchanged ref is not rewritten). */
  private readonly localRefs = new Map<string, string>();

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
    this.objects = objectStoreFor(this.gitdir, this.cache);
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
    await mkdir(`${mirror.gitdir}/objects/pack`, { recursive: true });
    return mirror;
  }

  private get http(): SmartHttpOptions {
    return { url: this.url, headers: this.headers, timeoutMs: this.timeoutMs };
  }

  /**
   * Lists the remote's refs (`refs/heads/…`, `refs/tags/…`, tags peeled), only those under
   * `prefixes` when given (protocol v2 `ref-prefix`; the default is every ref).
   */
  async listRemoteRefs(signal?: AbortSignal, prefixes: readonly string[] = []): Promise<Map<string, string>> {
    const extra = prefixes.length ? [...this.watched].filter((w) => !prefixes.some((p) => w.startsWith(p))) : [];
    const asked = [...prefixes, ...extra];
    const refs = await this.lsRefs(signal, asked);
    const at = Date.now();
    for (const w of this.watched) {
      if (asked.length === 0 || asked.some((p) => w.startsWith(p))) this.seen.set(w, { oid: refs.get(w), at });
    }
    return refs;
  }

  /**
   * Also asks for `fullRef` in every ref check (one request per poll covers the tracked ref and the status branch);
   * `fetchBranch(…, {maxAgeMs})` then answers from that.
   */
  watchRef(fullRef: string): void {
    this.watched.add(fullRef);
  }

  private async lsRefs(signal: AbortSignal | undefined, prefixes: readonly string[]): Promise<Map<string, string>> {
    return this.wrap(`${this.url} (list refs)`, async () => {
      if (this.v2) {
        try {
          this.stats.lsRefs++;
          const raw = await lsRefsRaw(this.http, prefixes, signal);
          const key = prefixes.join("\n");
          const last = this.lastLsRefs.get(key);
          if (last && last.raw.equals(raw)) return last.refs;
          this.stats.lsRefsParsed++;
          const { refs, symrefs } = parseLsRefs(raw);
          // ls-refs names HEAD's target as a symref; the v1 advertisement listed HEAD itself.
          const head = symrefs.get("HEAD");
          if (head && !refs.has("HEAD") && refs.has(head)) refs.set("HEAD", refs.get(head)!);
          this.lastLsRefs.set(key, { raw, refs });
          return refs;
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
          this.v2 = false; // not a v2 server: isomorphic-git's discovery from now on
        }
      }
      const refs = await git.listServerRefs({
        http: createHttpClient(signal, this.timeoutMs),
        url: this.url,
        headers: { ...this.headers },
        protocolVersion: 2,
        peelTags: true,
        ...(prefixes.length === 1 ? { prefix: prefixes[0] } : {}),
      });
      const out = new Map<string, string>();
      for (const r of refs) {
        if (prefixes.length === 0 || prefixes.some((p) => r.ref.startsWith(p))) out.set(r.ref, r.peeled ?? r.oid);
      }
      return out;
    });
  }

  /**
   * Fetches `ref` (branch, tag or full commit SHA) and returns the commit it names.
   * Throws GitSourceError (`ref-missing`, `auth`, `unreachable`, `repo-missing`, `corrupt`).
   */
  async fetchRevision(ref: string, signal?: AbortSignal): Promise<ResolvedRevision> {
    const subject = `${this.url} ref ${ref}`;
    if (SHA.test(ref)) {
      const refs = await this.listRemoteRefs(signal, ["refs/heads/", "refs/tags/", "HEAD"]);
      if (!(await this.hasCommit(ref))) {
        const tip = [...refs.entries()].find(([name, oid]) => oid === ref && name.startsWith("refs/"));
        if (tip) {
          await this.fetchRef(tip[0], ref, this.depth, signal, subject);
          await this.requireFetched(ref, tip[0], subject);
        } else {
          // Not a tip: deepen the default branch until the commit shows up.
          const head = refs.has("HEAD") ? "HEAD" : [...refs.keys()].find((r) => r.startsWith("refs/heads/"));
          if (head) await this.fetchRef(head, refs.get(head)!, 1_000_000, signal, subject);
        }
        if (!(await this.hasCommit(ref)))
          throw new GitSourceError("ref-missing", subject, "commit not found on the remote");
      }
      return { ref, fullRef: ref, kind: "commit", commit: ref };
    }
    const candidates = [ref, `refs/heads/${ref}`, `refs/tags/${ref}`].filter((r) => r.startsWith("refs/"));
    const refs = await this.listRemoteRefs(signal, candidates);
    const fullRef = candidates.find((r) => refs.has(r));
    const remoteOid = fullRef ? refs.get(fullRef) : undefined;
    if (!fullRef || !remoteOid) throw new GitSourceError("ref-missing", subject, "no such branch or tag on the remote");
    // The poll: the same answer as last time resolves from memory (no object read, no ref write).
    const known = this.resolved.get(ref);
    if (known && known.remoteOid === remoteOid && known.result.fullRef === fullRef) return known.result;
    const kind: RevisionKind = fullRef.startsWith("refs/tags/") ? "tag" : "branch";
    if (!(await this.hasCommit(remoteOid))) {
      await this.fetchRef(fullRef, remoteOid, this.depth, signal, subject);
      await this.requireFetched(remoteOid, fullRef, subject);
    }
    const commit = await this.peel(remoteOid, subject);
    await git.writeRef({ fs, gitdir: this.gitdir, ref: fullRef, value: commit, force: true });
    const result: ResolvedRevision = { ref, fullRef, kind, commit };
    this.resolved.set(ref, { remoteOid, result });
    return result;
  }

  /**
   * Fetches a branch that may not exist yet (the status branch). Returns its commit, or
   * `undefined` when the remote has no such branch. Only objects the mirror lacks are sent.
   */
  async fetchBranch(
    branch: string,
    signal?: AbortSignal,
    options: { readonly maxAgeMs?: number } = {},
  ): Promise<string | undefined> {
    const fullRef = `refs/heads/${branch}`;
    // A watched branch seen by a ref check moments ago (this pass's): no second request. A stale value is safe: the
    // push is a compare-and-swap, so building on an old head is a rejection and a retry with a fresh look.
    const seen = this.seen.get(fullRef);
    const oid =
      options.maxAgeMs !== undefined && seen && Date.now() - seen.at <= options.maxAgeMs
        ? seen.oid
        : (await this.listRemoteRefs(signal, [fullRef])).get(fullRef);
    if (!oid) return undefined;
    if (!(await this.hasCommit(oid))) {
      await this.fetchRef(fullRef, oid, this.depth, signal, `${this.url} branch ${branch}`);
      await this.requireFetched(oid, fullRef, `${this.url} branch ${branch}`);
    }
    if (this.localRefs.get(fullRef) !== oid) {
      await git.writeRef({ fs, gitdir: this.gitdir, ref: fullRef, value: oid, force: true });
      this.localRefs.set(fullRef, oid);
    }
    return oid;
  }

  /**
   * Fetches the whole history of a branch (unshallows it in the mirror): what history compaction
   * needs. Returns the branch's commit, or `undefined` when the remote has no such branch.
   */
  async fetchBranchHistory(branch: string, signal?: AbortSignal): Promise<string | undefined> {
    const fullRef = `refs/heads/${branch}`;
    const subject = `${this.url} branch ${branch}`;
    const refs = await this.listRemoteRefs(signal, [fullRef]);
    const oid = refs.get(fullRef);
    if (!oid) return undefined;
    await this.fetchRef(fullRef, oid, 0x7fffffff, signal, subject);
    await this.requireFetched(oid, fullRef, subject);
    await git.writeRef({ fs, gitdir: this.gitdir, ref: fullRef, value: oid, force: true });
    return oid;
  }

  /**
   * Pushes local commit `commit` to `refs/heads/<branch>` (fast-forward only).
   * Returns `"rejected"` when the remote moved on (non-fast-forward); throws on other failures.
   * isomorphic-git's push (ref discovery + object walk); the status writer uses `pushObjects`.
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

  /**
   * Moves `refs/heads/<branch>` from `oldOid` (the value the last ref check saw; undefined = the
   * branch is new) to `commit` in one receive-pack POST carrying `objects` (what the commit added;
   * the server has the rest). Compare-and-swap: `"rejected"` when the branch is no longer at
   * `oldOid` (a race: refetch and rebuild); throws for a refusal or a broken server repo.
   * `force` allows a non-fast-forward (history compaction); the old value is still checked.
   */
  async pushObjects(
    commit: string,
    objects: readonly GitObject[],
    branch: string,
    oldOid: string | undefined,
    signal?: AbortSignal,
  ): Promise<"ok" | "rejected"> {
    const ref = `refs/heads/${branch}`;
    const subject = `${this.url} branch ${branch}`;
    if (!this.v2) return this.push(commit, branch, signal);
    const res = await this.wrap(subject, () =>
      receivePack(this.http, { oldOid: oldOid ?? ZERO, newOid: commit, ref }, buildPack(objects), signal),
    );
    this.stats.pushes++;
    this.stats.pushedObjects += objects.length;
    if (!res.ok) return this.rejection(res.reason ?? "unknown", branch);
    await git.writeRef({ fs, gitdir: this.gitdir, ref, value: commit, force: true });
    this.localRefs.set(ref, commit);
    this.seen.delete(ref); // the next write looks again unless a ref check after this push has seen it
    return "ok";
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
      const { type } = await this.objects.read(oid);
      return type === "commit" || type === "tag";
    } catch {
      return false;
    }
  }

  /**
   * Fetches `oid` (the value of `fullRef`) with `depth`, telling the server which commits the
   * mirror has (the last value of that ref and of every ref resolved so far), so only missing
   * objects come back. Indexes the pack in one pass into the object cache and writes `.pack` +
   * `.idx` for isomorphic-git.
   */
  private async fetchRef(
    fullRef: string,
    oid: string,
    depth: number,
    signal: AbortSignal | undefined,
    subject: string,
  ): Promise<void> {
    if (!this.v2) {
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
      return;
    }
    const shallowFile = `${this.gitdir}/shallow`;
    const shallows = new Set(
      (await readFile(shallowFile, "utf8").catch(() => ""))
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => SHA.test(l)),
    );
    const haves = new Set<string>();
    for (const r of [fullRef, ...[...this.resolved.values()].map((v) => v.result.fullRef)]) {
      const local = await git.resolveRef({ fs, gitdir: this.gitdir, ref: r }).catch(() => undefined);
      if (local && local !== oid && (await this.hasCommit(local))) haves.add(local);
    }
    let result: Awaited<ReturnType<typeof fetchPack>>;
    try {
      result = await fetchPack(this.http, { wants: [oid], haves: [...haves], shallows: [...shallows], depth }, signal);
    } catch (err) {
      if (err instanceof ProtocolError) throw this.brokenRemote(oid, fullRef, subject, err.message);
      throw toGitSourceError(err, subject, this.secrets);
    }
    this.stats.fetches++;
    if (result.pack && result.pack.length > 32) {
      let indexed: Awaited<ReturnType<typeof indexPack>>;
      let pack = result.pack;
      try {
        indexed = await indexPack(pack, (base) => this.objects.read(base).catch(() => undefined));
        // A thin pack (deltas against objects the mirror has) is not a valid pack on disk: store its objects whole.
        if (indexed.thin) {
          pack = buildPack(indexed.objects);
          indexed = await indexPack(pack);
        }
      } catch (err) {
        if (err instanceof PackError) throw this.brokenRemote(oid, fullRef, subject, err.message);
        throw err;
      }
      const base = `${this.gitdir}/objects/pack/pack-${indexed.packSha}`;
      await writeFile(`${base}.pack`, pack);
      await writeFile(`${base}.idx`, indexed.idx);
      for (const o of indexed.objects) this.objects.put(o.oid, o);
      this.stats.fetchedObjects += indexed.objects.length;
    }
    for (const s of result.shallow) shallows.add(s);
    for (const s of result.unshallow) shallows.delete(s);
    if (result.shallow.length || result.unshallow.length) {
      await writeFile(shallowFile, [...shallows].map((s) => `${s}\n`).join(""));
    }
  }

  private brokenRemote(oid: string, fullRef: string, subject: string, detail: string): GitSourceError {
    return new GitSourceError(
      "corrupt",
      subject,
      `the remote advertises ${fullRef} at ${oid} but sent no readable objects for it (corrupt or missing objects in the server's repository): ${redactSecrets(detail, this.secrets)}`,
    );
  }

  /**
   * The remote advertised `fullRef` at `oid`, yet the fetch brought no readable object for it
   * (git http-backend's upload-pack died on a corrupt or missing object). That is a broken
   * server repo, not a missing ref.
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
      const { type, bytes } = await this.wrap(subject, () => this.objects.read(cur));
      if (type === "commit") return cur;
      if (type === "tag") {
        const m = /^object ([0-9a-f]{40})/.exec(Buffer.from(bytes).toString("utf8"));
        if (!m?.[1]) throw new GitSourceError("corrupt", subject, `tag ${cur} names no object`);
        cur = m[1];
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
