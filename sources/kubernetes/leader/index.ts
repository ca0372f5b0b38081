/** Lease-based leader election per shard (the I/O; the decisions are engine/ha). */
export { ShardElector, type ElectionView, type ShardChange, type ShardElectorOptions } from "./elector.ts";
export { ELECTION_LABEL, LEASE_API, replicaLeaseName, ROLE_LABEL, shardLeaseName } from "./lease-body.ts";
