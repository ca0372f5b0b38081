/**
 * Edits a git tree with plumbing only (readTree/writeBlob/writeTree): applies a set of file
 * changes under a prefix and rewrites only the trees on changed paths. No worktree, no index.
 */
import * as fs from "node:fs";
import git, { type TreeEntry } from "isomorphic-git";

export interface TreeChanges {
  /** path (relative to the edited root) → new content; `null` deletes. */
  readonly set: ReadonlyMap<string, string | Uint8Array | null>;
  /** Also delete every existing file under the root for which this returns true and `set` has no entry. */
  readonly deleteOwned?: (path: string) => boolean;
}

interface Ctx {
  readonly gitdir: string;
  readonly cache: object;
}

const encoder = new TextEncoder();

/**
 * Returns the oid of `baseTree` with `changes` applied below `prefix` (`""` or `status/`).
 * Returns `baseTree` itself when nothing changes. `baseTree` undefined: start from empty.
 */
export async function editTree(
  gitdir: string,
  cache: object,
  baseTree: string | undefined,
  prefix: string,
  changes: TreeChanges,
): Promise<string> {
  const ctx: Ctx = { gitdir, cache };
  const parts = prefix.split("/").filter(Boolean);
  const result = await editAt(ctx, baseTree, parts, changes);
  return result ?? (await git.writeTree({ fs, gitdir, tree: [] }));
}

async function readEntries(ctx: Ctx, oid: string | undefined): Promise<TreeEntry[]> {
  if (!oid) return [];
  return (await git.readTree({ fs, gitdir: ctx.gitdir, oid, cache: ctx.cache })).tree;
}

/** Walks down the prefix, edits the root there, and rebuilds the trees above it. */
async function editAt(
  ctx: Ctx,
  treeOid: string | undefined,
  prefix: readonly string[],
  changes: TreeChanges,
): Promise<string | undefined> {
  if (prefix.length === 0) return editDir(ctx, treeOid, "", groupChanges(changes.set), changes.deleteOwned);
  const [head, ...rest] = prefix as [string, ...string[]];
  const entries = await readEntries(ctx, treeOid);
  const existing = entries.find((e) => e.path === head && e.type === "tree");
  const child = await editAt(ctx, existing?.oid, rest, changes);
  if (child === existing?.oid && treeOid) return treeOid;
  const others = entries.filter((e) => e.path !== head);
  const next = child ? [...others, { mode: "040000", path: head, oid: child, type: "tree" as const }] : others;
  return next.length ? git.writeTree({ fs, gitdir: ctx.gitdir, tree: next }) : undefined;
}

interface Group {
  readonly files: Map<string, string | Uint8Array | null>;
  readonly dirs: Map<string, Group>;
}

function groupChanges(set: ReadonlyMap<string, string | Uint8Array | null>): Group {
  const root: Group = { files: new Map(), dirs: new Map() };
  for (const [path, content] of set) {
    const parts = path.split("/");
    let g = root;
    for (const dir of parts.slice(0, -1)) {
      let next = g.dirs.get(dir);
      if (!next) g.dirs.set(dir, (next = { files: new Map(), dirs: new Map() }));
      g = next;
    }
    g.files.set(parts[parts.length - 1] ?? "", content);
  }
  return root;
}

/** Edits one directory level; `rel` is its path below the edited root (for deleteOwned). */
async function editDir(
  ctx: Ctx,
  treeOid: string | undefined,
  rel: string,
  group: Group,
  deleteOwned: ((path: string) => boolean) | undefined,
): Promise<string | undefined> {
  const entries = await readEntries(ctx, treeOid);
  const out: TreeEntry[] = [];
  let changed = false;
  const seen = new Set<string>();
  for (const e of entries) {
    seen.add(e.path);
    const path = rel + e.path;
    if (e.type === "tree") {
      const sub = group.dirs.get(e.path);
      // Only descend when something may change below: explicit changes or owned deletions.
      if (sub || deleteOwned) {
        const oid = await editDir(ctx, e.oid, `${path}/`, sub ?? { files: new Map(), dirs: new Map() }, deleteOwned);
        if (oid !== e.oid) changed = true;
        if (oid) out.push({ ...e, oid });
      } else out.push(e);
      continue;
    }
    if (group.files.has(e.path)) {
      const content = group.files.get(e.path);
      if (content === null || content === undefined) {
        changed = true;
        continue;
      }
      const blob = typeof content === "string" ? encoder.encode(content) : content;
      // Hash first: an unchanged file costs no write.
      let { oid } = await git.hashBlob({ object: blob });
      if (oid !== e.oid) oid = await git.writeBlob({ fs, gitdir: ctx.gitdir, blob });
      if (oid !== e.oid || e.mode !== "100644") changed = true;
      out.push({ mode: "100644", path: e.path, oid, type: "blob" });
      continue;
    }
    if (deleteOwned?.(path)) {
      changed = true;
      continue;
    }
    out.push(e);
  }
  for (const [name, content] of group.files) {
    if (seen.has(name) || content === null) continue;
    const oid = await git.writeBlob({
      fs,
      gitdir: ctx.gitdir,
      blob: typeof content === "string" ? encoder.encode(content) : content,
    });
    out.push({ mode: "100644", path: name, oid, type: "blob" });
    changed = true;
  }
  for (const [name, sub] of group.dirs) {
    if (seen.has(name)) continue;
    const oid = await editDir(ctx, undefined, `${rel}${name}/`, sub, deleteOwned);
    if (oid) {
      out.push({ mode: "040000", path: name, oid, type: "tree" });
      changed = true;
    }
  }
  if (!changed) return treeOid;
  if (out.length === 0) return undefined;
  return git.writeTree({ fs, gitdir: ctx.gitdir, tree: out });
}
