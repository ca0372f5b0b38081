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
export { shardedStatusFiles, shardStatusPath, type ShardStatusPlan, type StatusGate } from "./status-files.ts";
export { shardOfStatusPath } from "./status-paths.ts";
/** Where an object's status file lives on the status branch (for shard ownership of files). */
export { objectStatusPath } from "../status/paths.ts";
