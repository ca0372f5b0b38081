/**
 * The status files one replica writes when it leads some shards: the object files of its shards'
 * objects, and (with more than one shard) `shards/<n>/STATUS.md` and `shards/<n>/_commit.yaml` per
 * shard it leads, so shards sharing the branch never write or delete each other's files. With one
 * shard the layout is the usual one. Pure.
 */
import { renderStatusFiles, type RenderLimits, type StatusFiles } from "../status/documents.ts";
import { COMMIT_FILE, objectStatusPath, SUMMARY_FILE } from "../status/paths.ts";
import type { CommitStatus, ObjectStatus } from "../status/types.ts";
import { shardOfStatusPath } from "./status-paths.ts";

export interface ShardStatusPlan {
  /** Shards this replica leads now; none: it writes no status. */
  readonly held: readonly number[];
  readonly shards: number;
  /** Status path of every object of the commit → its shard. */
  readonly byPath: ReadonlyMap<string, number>;
}

/** The status side of leader election (app/ha): a replica leading no shard writes no status. */
export interface StatusGate {
  plan(): ShardStatusPlan;
  /** Throws when this replica no longer leads every one of `shards` (checked right before the push). */
  check(shards: readonly number[]): void;
}

export function shardStatusPath(shard: number, file: string): string {
  return `shards/${shard}/${file}`;
}

export function shardedStatusFiles(
  plan: ShardStatusPlan,
  commit: CommitStatus,
  objects: readonly ObjectStatus[] | undefined,
  limits: RenderLimits,
): StatusFiles | undefined {
  if (plan.held.length === 0) return undefined;
  const shardOfPath = (p: string): number | undefined => shardOfStatusPath(p, plan.byPath, plan.shards);
  const mine = objects?.filter((o) => plan.held.includes(shardOfPath(objectStatusPath(o)) ?? -1));
  if (plan.shards === 1) return renderStatusFiles({ commit, ...(mine ? { objects: mine } : {}) }, limits);
  const files = new Map<string, string>();
  for (const shard of plan.held) {
    const own = mine?.filter((o) => shardOfPath(objectStatusPath(o)) === shard);
    const rendered = renderStatusFiles({ commit, ...(own ? { objects: own } : {}) }, limits);
    for (const [path, text] of rendered.files)
      files.set(path === COMMIT_FILE || path === SUMMARY_FILE ? shardStatusPath(shard, path) : path, text);
  }
  return { files, replaceObjects: objects !== undefined, owns: (p) => plan.held.includes(shardOfPath(p) ?? -1) };
}
