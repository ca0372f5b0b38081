/**
 * Reads the fleet files of a commit straight from git objects: walks the tree, reads blobs.
 * Subtrees and blobs are remembered by oid between commits, so an unchanged repo reads nothing
 * and a one-file change reads one path of trees and one blob.
 */
import * as fs from "node:fs";
import git from "isomorphic-git";
import { isFleetPath } from "../desired/fleet-path.ts";
import type { FleetFile } from "../model/fleet-object.ts";

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

  constructor(
    private readonly gitdir: string,
    private readonly cache: object,
  ) {}

  async read(commit: string, options: ReadFilesOptions = {}): Promise<readonly FleetFile[]> {
    const stats: ReadStats = { treesRead: 0, blobsRead: 0, blobsReused: 0 };
    this.lastStats = stats;
    if (this.last?.commit === commit && !options.exclude) return this.last.files;
    const { commit: c } = await git.readCommit({ fs, gitdir: this.gitdir, oid: commit, cache: this.cache });
    const usedTrees = new Map<string, readonly Entry[]>();
    const entries = await this.walk(c.tree, "", usedTrees, stats, options.signal);
    const usedBlobs = new Map<string, Uint8Array>();
    const files: FleetFile[] = [];
    for (const e of entries) {
      if (options.exclude?.(e.path)) continue;
      options.signal?.throwIfAborted();
      let bytes = usedBlobs.get(e.oid) ?? this.blobs.get(e.oid);
      if (bytes) stats.blobsReused++;
      else {
        bytes = (await git.readBlob({ fs, gitdir: this.gitdir, oid: e.oid, cache: this.cache })).blob;
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
    const { tree } = await git.readTree({ fs, gitdir: this.gitdir, oid: treeOid, cache: this.cache });
    stats.treesRead++;
    const out: Entry[] = [];
    for (const item of tree) {
      if (item.type === "tree") {
        const sub = await this.walk(item.oid, `${item.path}/`, used, stats, signal);
        for (const e of sub) out.push(e);
      } else if (item.type === "blob" && isFleetPath(item.path)) {
        out.push({ path: item.path, oid: item.oid, symlink: item.mode === "120000" });
      }
    }
    // Cache entries relative to this tree; callers add their prefix.
    used.set(treeOid, out);
    return prefix === "" ? out : out.map((e) => ({ ...e, path: prefix + e.path }));
  }
}
