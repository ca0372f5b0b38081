/** High availability: shard assignment, fair share, Lease decisions and fencing (pure). */
export { FencedError } from "./errors.ts";
export { fairShare, shardPreference } from "./fair-share.ts";
export { Fence } from "./fence.ts";
export {
  isFree,
  LEASE_DEFAULTS,
  leaseAction,
  LeaseObserver,
  timingsProblem,
  type LeaseAction,
  type LeaseRecord,
  type LeaseTimings,
  type ObservedLease,
} from "./lease-record.ts";
export { assignShards, fnv1a32, SHARD_ANNOTATION, shardOf, shardOfKey, type ShardAssignment } from "./shard.ts";
export { shardOfStatusPath } from "./status-paths.ts";
