/**
 * Shard assignment: which shard reconciles a fleet object. A stable hash of the object's key
 * (`Kind/namespace/name`, FNV-1a 32 bit), so every replica computes the same answer from the same
 * commit; the annotation `bosun.dev/shard: "N"` overrides it. A DeviceProcessDeployment is one
 * object, so its rollout (and its whole `maxUnavailable` budget) is in exactly one shard. Pure.
 */
import { objectKey, objectRef } from "../model/fleet-object.ts";

export const SHARD_ANNOTATION = "bosun.dev/shard";

/** FNV-1a, 32 bit, over the UTF-8 bytes of `text`. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** The shard of an object key by hash alone. */
export function shardOfKey(key: string, shards: number): number {
  if (!Number.isInteger(shards) || shards < 1) throw new RangeError(`shards must be an integer >= 1, got ${shards}`);
  return shards === 1 ? 0 : fnv1a32(key) % shards;
}

export interface ShardableObject {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly body: Readonly<Record<string, unknown>>;
}

export interface ShardDecision {
  readonly shard: number;
  /** Set when the annotation could not be used (the hash shard is taken instead): log it. */
  readonly problem?: string;
}

/** The shard of one fleet object: its annotation when valid, else the hash of its key. */
export function shardOf(object: ShardableObject, shards: number): ShardDecision {
  const hashed = shardOfKey(objectKey(object), shards);
  const metadata = object.body["metadata"] as { annotations?: Record<string, unknown> } | undefined;
  const value = metadata?.annotations?.[SHARD_ANNOTATION];
  if (value === undefined) return { shard: hashed };
  const text = String(value).trim();
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (Number.isInteger(n) && n >= 0 && n < shards) return { shard: n };
  return {
    shard: hashed,
    problem:
      `${objectRef(object)}: annotation ${SHARD_ANNOTATION} ${JSON.stringify(value)} is not a shard of this engine ` +
      `(0..${shards - 1}, ha.shards ${shards}); using its hash shard ${hashed}. Fix the annotation or ha.shards`,
  };
}

export interface ShardAssignment {
  /** Object key → shard. */
  readonly byKey: ReadonlyMap<string, number>;
  readonly problems: readonly string[];
}

/** Every object's shard, plus the annotations that could not be used. */
export function assignShards(objects: readonly ShardableObject[], shards: number): ShardAssignment {
  const byKey = new Map<string, number>();
  const problems: string[] = [];
  for (const o of objects) {
    const d = shardOf(o, shards);
    byKey.set(objectKey(o), d.shard);
    if (d.problem) problems.push(d.problem);
  }
  return { byKey, problems };
}
