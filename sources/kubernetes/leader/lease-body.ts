/** Lease objects of Bosun's leader election: names, labels, and the bodies written. */
import type { JsonObject } from "../../../engine/model/object-ref.ts";

export const LEASE_API = "coordination.k8s.io/v1";
/** Label on every election Lease: its value is the election's name prefix. */
export const ELECTION_LABEL = "bosun.dev/election";
/** Label saying what a Lease is: `shard` (held by the leader of one shard) or `replica` (membership). */
export const ROLE_LABEL = "bosun.dev/lease-role";

export function shardLeaseName(prefix: string, shard: number): string {
  return `${prefix}-shard-${shard}`;
}

/** A DNS-1123 name for a replica's membership Lease. */
export function replicaLeaseName(prefix: string, identity: string): string {
  const safe = identity
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/^-+|-+$/g, "");
  return `${prefix}-replica-${safe}`.slice(0, 253).replace(/-+$/, "");
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

export function leaseBody(input: {
  readonly namespace: string;
  readonly name: string;
  readonly prefix: string;
  readonly role: "shard" | "replica";
  readonly resourceVersion?: string;
  readonly holderIdentity?: string;
  readonly leaseDurationSeconds: number;
  readonly acquireTime?: string;
  readonly renewTime?: string;
  readonly leaseTransitions?: number;
}): JsonObject {
  return {
    apiVersion: LEASE_API,
    kind: "Lease",
    metadata: {
      name: input.name,
      namespace: input.namespace,
      labels: { [ELECTION_LABEL]: input.prefix, [ROLE_LABEL]: input.role, "app.kubernetes.io/managed-by": "bosun" },
      ...(input.resourceVersion ? { resourceVersion: input.resourceVersion } : {}),
    },
    spec: {
      ...(input.holderIdentity ? { holderIdentity: input.holderIdentity } : {}),
      leaseDurationSeconds: input.leaseDurationSeconds,
      ...(input.acquireTime ? { acquireTime: input.acquireTime } : {}),
      ...(input.renewTime ? { renewTime: input.renewTime } : {}),
      ...(input.leaseTransitions !== undefined ? { leaseTransitions: input.leaseTransitions } : {}),
    },
  };
}
