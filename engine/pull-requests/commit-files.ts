/**
 * Commits files onto a branch of the fleet repo through the mirror (plumbing, no worktree): on
 * the branch's current head, only when the tree changes, compare-and-swap push, rebuilt on the new
 * head when someone else pushed meanwhile. What Bosun uses to commit approval files after a merge.
 */
import type { GitMirror } from "../git/mirror.ts";
import type { GitObject } from "../git/pack.ts";
import { BosunError } from "../model/errors.ts";
import { editTreeIn } from "../status/tree-edit.ts";

export interface CommitIdentity {
  readonly name: string;
  readonly email: string;
}

/** The new commit, or undefined when the branch already has these files as given. */
export async function commitFiles(
  mirror: GitMirror,
  branch: string,
  files: ReadonlyMap<string, string>,
  message: string,
  identity: CommitIdentity,
  signal?: AbortSignal,
  now: () => Date = () => new Date(),
): Promise<string | undefined> {
  const store = mirror.objects;
  for (let attempt = 1; attempt <= 5; attempt++) {
    signal?.throwIfAborted();
    const head = await mirror.fetchBranch(branch, signal);
    if (!head) throw new BosunError(`${mirror.url} branch ${branch}`, "does not exist; cannot commit to it");
    const obj = await store.read(head);
    const tree = /^tree ([0-9a-f]{40})/.exec(new TextDecoder().decode(obj.bytes))?.[1];
    const edit = await editTreeIn(store, tree, "", { set: files });
    if (edit.tree === tree) return undefined;
    const who = `${identity.name} <${identity.email}> ${Math.floor(now().getTime() / 1000)} +0000`;
    const body = `tree ${edit.tree}\nparent ${head}\nauthor ${who}\ncommitter ${who}\n\n${message.replace(/\n?$/, "\n")}`;
    const bytes = new TextEncoder().encode(body);
    const commit = await store.write("commit", bytes);
    const objects: GitObject[] = [...edit.added.values(), { type: "commit", bytes }];
    if ((await mirror.pushObjects(commit, objects, branch, head, signal)) === "ok") return commit;
  }
  throw new BosunError(
    `${mirror.url} branch ${branch}`,
    "push rejected 5 times (the branch keeps moving); retried on the next event or poll",
    { code: "COMMIT_REJECTED" },
  );
}
