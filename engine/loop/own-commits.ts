/**
 * Folder mode writes status commits onto the tracked branch; the engine must not take them as
 * new desired state. Walks back over commits authored by the engine identity that only touch the
 * status folder and returns the commit whose fleet content is in force.
 */
import * as fs from "node:fs";
import git from "isomorphic-git";
import type { GitMirror } from "../git/mirror.ts";
import type { Identity } from "../status/writer.ts";

async function sameOutside(mirror: GitMirror, a: string, b: string, prefix: readonly string[]): Promise<boolean> {
  if (a === b) return true;
  const [head, ...rest] = prefix;
  if (head === undefined) return false;
  const read = async (oid: string) =>
    (await git.readTree({ fs, gitdir: mirror.gitdir, oid, cache: mirror.cache })).tree;
  const [ea, eb] = await Promise.all([read(a), read(b)]);
  const key = (e: { path: string; oid: string; mode: string }): string => `${e.mode} ${e.oid} ${e.path}`;
  const outside = (list: typeof ea): string[] =>
    list
      .filter((e) => e.path !== head)
      .map(key)
      .sort();
  if (outside(ea).join("\n") !== outside(eb).join("\n")) return false;
  if (rest.length === 0) return true;
  const sa = ea.find((e) => e.path === head && e.type === "tree");
  const sb = eb.find((e) => e.path === head && e.type === "tree");
  if (!sa || !sb) return sa === sb;
  return sameOutside(mirror, sa.oid, sb.oid, rest);
}

export async function effectiveDesiredCommit(
  mirror: GitMirror,
  commit: string,
  identity: Identity,
  folder: string,
): Promise<string> {
  const prefix = folder.split("/").filter(Boolean);
  let cur = commit;
  for (let i = 0; i < 100; i++) {
    const { commit: c } = await git.readCommit({ fs, gitdir: mirror.gitdir, oid: cur, cache: mirror.cache });
    if (c.author.name !== identity.name || c.author.email !== identity.email) return cur;
    const parent = c.parent[0];
    if (c.parent.length !== 1 || !parent || !(await mirror.hasCommit(parent))) return cur;
    const { commit: p } = await git.readCommit({ fs, gitdir: mirror.gitdir, oid: parent, cache: mirror.cache });
    if (!(await sameOutside(mirror, c.tree, p.tree, prefix))) return cur;
    cur = parent;
  }
  return cur;
}
