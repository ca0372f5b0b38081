/**
 * Which shard owns a file on the status branch, so shards sharing the branch never delete each
 * other's files: an object file belongs to its object's shard (from this commit's assignment, or by
 * the hash of the key in its path for an object no longer in Git); `shards/<n>/…` to shard n. Pure.
 */
import { OBJECTS_DIR } from "../status/paths.ts";
import { shardOfKey } from "./shard.ts";

export function shardOfStatusPath(
  path: string,
  byPath: ReadonlyMap<string, number>,
  shards: number,
): number | undefined {
  const known = byPath.get(path);
  if (known !== undefined) return known;
  const own = /^shards\/(\d+)\//.exec(path);
  if (own) return Number(own[1]);
  if (!path.startsWith(OBJECTS_DIR) || !path.endsWith(".yaml")) return undefined;
  const [kind, namespace, file] = path.slice(OBJECTS_DIR.length).split("/");
  if (!kind || !namespace || !file) return undefined;
  const name = file.slice(0, -".yaml".length);
  const key = namespace === "_cluster" ? `${kind}/${name}` : `${kind}/${namespace}/${name}`;
  return shardOfKey(key, shards);
}
