/**
 * Reads the fleet files of a commit straight from git objects: walks the tree, reads blobs.
 * Objects come from the mirror's shared object cache (`object-store.ts`): after a fetch the pack's
 * objects are already there, resolved, so a cold read inflates nothing a second time. Subtrees
 * and blobs are remembered by oid between commits, so an unchanged repo reads nothing and a
 * one-file change reads one path of trees and one blob.
 */
import { isFleetPath } from "../desired/fleet-path.ts";
import type { FleetFile } from "../model/fleet-object.ts";
import { objectStoreFor, type ObjectStore } from "./object-store.ts";
import { parseCommit } from "./pack.ts";

export { isFleetPath };

interface Entry {
  readonly path: string;
  readonly oid: string;
  readonly symlink: boolean;
}

export interface ReadStats {
  treesRead: number;
  blobsRead: number;
  blobsReused: number;
}

export interface ReadFilesOptions {
  /** Paths (repo-relative) to leave out, e.g. the status folder in folder mode. */
  readonly exclude?: (path: string) => boolean;
  readonly signal?: AbortSignal;
}

export class FleetTreeReader {
  private trees = new Map<string, readonly Entry[]>();
  private blobs = new Map<string, Uint8Array>();
  private last: { commit: string; files: readonly FleetFile[] } | undefined;
  lastStats: ReadStats = { treesRead: 0, blobsRead: 0, blobsReused: 0 };

  private readonly store: ObjectStore;

  constructor(gitdir: string, cache: object) {
    this.store = objectStoreFor(gitdir, cache);
  }

  async read(commit: string, options: ReadFilesOptions = {}): Promise<readonly FleetFile[]> {
    const stats: ReadStats = { treesRead: 0, blobsRead: 0, blobsReused: 0 };
    this.lastStats = stats;
    if (this.last?.commit === commit && !options.exclude) return this.last.files;
    const obj = await this.store.read(commit);
    if (obj.type !== "commit") throw new Error(`object ${commit} is a ${obj.type}, not a commit`);
    const usedTrees = new Map<string, readonly Entry[]>();
    const entries = await this.walk(parseCommit(obj.bytes).tree, "", usedTrees, stats, options.signal);
    const usedBlobs = new Map<string, Uint8Array>();
    const files: FleetFile[] = [];
    for (const e of entries) {
      if (options.exclude?.(e.path)) continue;
      options.signal?.throwIfAborted();
      let bytes = usedBlobs.get(e.oid) ?? this.blobs.get(e.oid);
      if (bytes) stats.blobsReused++;
      else {
        const blob = await this.store.read(e.oid);
        if (blob.type !== "blob") throw new Error(`object ${e.oid} (${e.path}) is a ${blob.type}, not a blob`);
        bytes = blob.bytes;
        stats.blobsRead++;
      }
      usedBlobs.set(e.oid, bytes);
      files.push(
        e.symlink ? { path: e.path, bytes, linkTarget: new TextDecoder().decode(bytes) } : { path: e.path, bytes },
      );
    }
    // Keep only what this commit uses: memory stays proportional to one commit.
    this.trees = usedTrees;
    this.blobs = usedBlobs;
    if (!options.exclude) this.last = { commit, files };
    return files;
  }

  private async walk(
    treeOid: string,
    prefix: string,
    used: Map<string, readonly Entry[]>,
    stats: ReadStats,
    signal: AbortSignal | undefined,
  ): Promise<readonly Entry[]> {
    const cached = this.trees.get(treeOid) ?? used.get(treeOid);
    if (cached) {
      used.set(treeOid, cached);
      return prefix === "" ? cached : cached.map((e) => ({ ...e, path: prefix + e.path }));
    }
    signal?.throwIfAborted();
    const tree = await this.store.tree(treeOid);
    stats.treesRead++;
    const out: Entry[] = [];
    for (const item of tree) {
      if (item.mode === "040000") {
        const sub = await this.walk(item.oid, `${item.path}/`, used, stats, signal);
        for (const e of sub) out.push(e);
      } else if (item.mode !== "160000" && isFleetPath(item.path)) {
        out.push({ path: item.path, oid: item.oid, symlink: item.mode === "120000" });
      }
    }
    // Cache entries relative to this tree; callers add their prefix.
    used.set(treeOid, out);
    return prefix === "" ? out : out.map((e) => ({ ...e, path: prefix + e.path }));
  }
}
