/**
 * History compaction of the status branch: months of status commits squashed onto a fresh root,
 * every commit that is not Bosun's kept.
 *
 * The first-parent chain is rewritten oldest → newest. The `keepRecent` newest commits are kept
 * one to one. Older runs of Bosun's own commits (author = the engine identity) become one commit
 * each, holding the tree of the last commit of the run. Every other commit (a human's note, a CI
 * job, another shard) is kept with its own tree, author, committer and message, right after the
 * squashed run it was made on, so its diff against its parent is exactly the diff it made. The
 * new head has the very same tree as the old one. Pushed as a compare-and-swap on the old head
 * (a push that raced us is never lost: the compaction is refused and tried again later).
 *
 * What does not survive a rewrite: commit hashes and signatures (a signed human commit is kept
 * unsigned; its content, author and message are kept), and clones of the branch must be reset to
 * the new head (`git fetch && git reset --hard origin/bosun/status`). The second parents of merge
 * commits are kept as they are, so history behind them is not compacted.
 */
import type { GitMirror } from "../git/mirror.ts";
import { parseCommit, type GitObject } from "../git/pack.ts";
import type { Identity } from "./writer.ts";

export interface CompactOptions {
  readonly branch: string;
  /** Bosun's identity: its commits are squashed, everyone else's kept. */
  readonly identity: Identity;
  /** Newest commits kept one to one (default 100). */
  readonly keepRecent?: number;
  readonly now?: () => Date;
  readonly signal?: AbortSignal;
}

export interface CompactResult {
  /** `"ok"`, `"unchanged"` (nothing to squash) or `"rejected"` (the branch moved meanwhile: retry later). */
  readonly outcome: "ok" | "unchanged" | "rejected";
  readonly commitsBefore: number;
  readonly commitsAfter: number;
  /** Commits that were not Bosun's, all kept. */
  readonly foreignKept: number;
  readonly head?: string;
}

interface Parsed {
  readonly oid: string;
  readonly tree: string;
  readonly parents: readonly string[];
  readonly author: string;
  readonly committer: string;
  readonly message: string;
}

export async function compactStatusBranch(mirror: GitMirror, options: CompactOptions): Promise<CompactResult> {
  const { branch, identity, signal } = options;
  const keepRecent = options.keepRecent ?? 100;
  const head = await mirror.fetchBranchHistory(branch, signal);
  if (!head) return { outcome: "unchanged", commitsBefore: 0, commitsAfter: 0, foreignKept: 0 };
  const chain: Parsed[] = [];
  for (let cur: string | undefined = head; cur;) {
    signal?.throwIfAborted();
    const obj = await mirror.objects.read(cur);
    const c = parseCommit(obj.bytes);
    chain.push({ oid: cur, ...c });
    cur = c.parents[0];
  }
  chain.reverse();
  const ours = (c: Parsed): boolean => c.author.startsWith(`${identity.name} <${identity.email}> `);
  const cut = Math.max(0, chain.length - keepRecent);
  const old = chain.slice(0, cut);
  const recent = chain.slice(cut);
  const foreign = chain.filter((c) => !ours(c)).length;

  const objects: GitObject[] = [];
  let parent: string | undefined;
  let count = 0;
  const emit = async (c: Omit<Parsed, "oid" | "parents">, extraParents: readonly string[]): Promise<void> => {
    const parents = [...(parent ? [parent] : []), ...extraParents];
    const body =
      `tree ${c.tree}\n${parents.map((p) => `parent ${p}\n`).join("")}` +
      `author ${c.author}\ncommitter ${c.committer}\n\n${c.message}`;
    const bytes = new TextEncoder().encode(body);
    parent = await mirror.objects.write("commit", bytes);
    objects.push({ type: "commit", bytes });
    count++;
  };
  const seconds = Math.floor((options.now?.() ?? new Date()).getTime() / 1000);
  const who = `${identity.name} <${identity.email}> ${seconds} +0000`;
  let run: Parsed[] = [];
  const flush = async (): Promise<void> => {
    const last = run.at(-1);
    if (!last) return;
    await emit(
      {
        tree: last.tree,
        author: who,
        committer: who,
        message: `bosun: status history compacted (${run.length} status commits, ${run[0]!.oid.slice(0, 12)}..${last.oid.slice(0, 12)})\n`,
      },
      [],
    );
    run = [];
  };
  for (const c of old) {
    if (ours(c) && c.parents.length <= 1) run.push(c);
    else {
      await flush();
      await emit(c, c.parents.slice(1));
    }
  }
  await flush();
  for (const c of recent) await emit(c, c.parents.slice(1));
  if (count >= chain.length)
    return { outcome: "unchanged", commitsBefore: chain.length, commitsAfter: chain.length, foreignKept: foreign };
  const newHead = parent!;
  const outcome = await mirror.pushObjects(newHead, objects, branch, head, signal);
  return {
    outcome,
    commitsBefore: chain.length,
    commitsAfter: count,
    foreignKept: foreign,
    ...(outcome === "ok" ? { head: newHead } : {}),
  };
}
