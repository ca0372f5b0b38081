/**
 * How many shards one replica should hold: an even split over the live replicas, rounded up
 * (Argo CD's controller sharding does the same), so a replica that is gone leaves its shards to
 * the others and a replica that comes back gets its share again. Pure.
 */
export function fairShare(shards: number, liveReplicas: number): number {
  return Math.ceil(shards / Math.max(1, liveReplicas));
}

/**
 * The order in which a replica tries free shards: starting at an offset from its identity, so
 * replicas starting together reach for different shards first.
 */
export function shardPreference(shards: number, identityHash: number): number[] {
  const start = identityHash % shards;
  return Array.from({ length: shards }, (_, i) => (start + i) % shards);
}
