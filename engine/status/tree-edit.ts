/**
 * Edits a git tree with plumbing only: applies a set of file changes under a prefix and rewrites
 * only the trees on changed paths. No worktree, no index. Trees are read through the mirror's
 * object cache (parsed once per oid, the ones just written included), so an edit costs the paths
 * it changes, not the size of the tree. Returns the objects the edit added (new blobs and the
 * trees above them): exactly what a push of the resulting commit must carry.
 */
import { objectStoreFor, type ObjectStore } from "../git/object-store.ts";
import type { GitObject, TreeEntryRaw } from "../git/pack.ts";
import { serializeTree } from "../git/pack.ts";

export interface TreeChanges {
  /** path (relative to the edited root) → new content; `null` deletes. */
  readonly set: ReadonlyMap<string, string | Uint8Array | null>;
  /** Also delete every existing file under the root for which this returns true and `set` has no entry. */
  readonly deleteOwned?: (path: string) => boolean;
}

export interface TreeEdit {
  /** The new root tree (the base itself when nothing changed). */
  readonly tree: string;
  /** Objects written by this edit that the base tree does not have at that path. */
  readonly added: Map<string, GitObject>;
}

const encoder = new TextEncoder();
const BLOB = "100644";
const DIR = "040000";

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
  return (await editTreeIn(objectStoreFor(gitdir, cache), baseTree, prefix, changes)).tree;
}

export async function editTreeIn(
  store: ObjectStore,
  baseTree: string | undefined,
  prefix: string,
  changes: TreeChanges,
): Promise<TreeEdit> {
  const ctx: Ctx = { store, added: new Map() };
  const parts = prefix.split("/").filter(Boolean);
  store.beginBatch();
  try {
    const result = await editAt(ctx, baseTree, parts, changes);
    const tree = result ?? (await write(ctx, "tree", serializeTree([])));
    return { tree, added: ctx.added };
  } finally {
    await store.endBatch();
  }
}

interface Ctx {
  readonly store: ObjectStore;
  readonly added: Map<string, GitObject>;
}

async function write(ctx: Ctx, type: "blob" | "tree", bytes: Uint8Array): Promise<string> {
  const oid = await ctx.store.write(type, bytes);
  ctx.added.set(oid, { type, bytes });
  return oid;
}

async function readEntries(ctx: Ctx, oid: string | undefined): Promise<readonly TreeEntryRaw[]> {
  return oid ? ctx.store.tree(oid) : [];
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
  const existing = entries.find((e) => e.path === head && e.mode === DIR);
  const child = await editAt(ctx, existing?.oid, rest, changes);
  if (child === existing?.oid && treeOid) return treeOid;
  const others = entries.filter((e) => e.path !== head);
  const next = child ? [...others, { mode: DIR, path: head, oid: child }] : others;
  return next.length ? write(ctx, "tree", serializeTree(next)) : undefined;
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
  const out: TreeEntryRaw[] = [];
  let changed = false;
  const seen = new Set<string>();
  for (const e of entries) {
    seen.add(e.path);
    const path = rel + e.path;
    if (e.mode === DIR) {
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
      const oid = await write(ctx, "blob", blob);
      if (oid === e.oid) ctx.added.delete(oid); // unchanged: the server has it
      if (oid !== e.oid || e.mode !== BLOB) changed = true;
      out.push({ mode: BLOB, path: e.path, oid });
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
    const oid = await write(ctx, "blob", typeof content === "string" ? encoder.encode(content) : content);
    out.push({ mode: BLOB, path: name, oid });
    changed = true;
  }
  for (const [name, sub] of group.dirs) {
    if (seen.has(name)) continue;
    const oid = await editDir(ctx, undefined, `${rel}${name}/`, sub, deleteOwned);
    if (oid) {
      out.push({ mode: DIR, path: name, oid });
      changed = true;
    }
  }
  if (!changed) return treeOid;
  if (out.length === 0) return undefined;
  return write(ctx, "tree", serializeTree(out));
}
