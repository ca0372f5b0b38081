/**
 * A WorkloadCluster's status read from its Cluster API objects (pure): the Cluster's phase and
 * conditions, the control plane's and each MachineDeployment's replicas (desired, ready, updated =
 * up to date, available) and conditions, the Machines' phases. Both the record's status and the
 * status branch's ObjectStatus come from here.
 */
import type { JsonObject } from "../../model/object-ref.ts";
import type { Condition } from "../../status/types.ts";

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {});
const num = (v: unknown): number => (typeof v === "number" ? v : 0);

/** Replica counters of one scalable part (the control plane or a MachineDeployment). */
export interface ReplicaStatus {
  readonly kind: string;
  readonly name: string;
  readonly desired: number;
  readonly replicas: number;
  readonly ready: number;
  readonly updated: number;
  readonly available: number;
  readonly phase?: string;
  readonly version?: string;
  readonly conditions: readonly Condition[];
}

export interface ClusterStatusInput {
  readonly cluster: JsonObject | undefined;
  readonly controlPlane: JsonObject | undefined;
  readonly machineDeployments: readonly JsonObject[];
  readonly machines: readonly JsonObject[];
}

export interface WorkloadClusterReadout {
  /** Provisioned + every part at its desired replicas, all up to date and available. */
  readonly ready: boolean;
  /** Pending, Provisioning, Provisioned (from the Cluster), Ready when every part is settled. */
  readonly phase: string;
  readonly clusterPhase?: string;
  readonly controlPlane?: ReplicaStatus;
  readonly machineDeployments: readonly ReplicaStatus[];
  readonly machines: readonly {
    readonly name: string;
    readonly phase: string;
    readonly version?: string;
    readonly providerID?: string;
  }[];
  readonly conditions: readonly Condition[];
  /** Why it is not ready, one line. */
  readonly reason: string;
}

function conditionsOf(o: JsonObject | undefined): Condition[] {
  const list = obj(o?.["status"])["conditions"];
  if (!Array.isArray(list)) return [];
  return list.flatMap((c) => {
    const x = obj(c);
    if (typeof x["type"] !== "string" || typeof x["status"] !== "string") return [];
    const status = x["status"] as Condition["status"];
    return [
      {
        type: x["type"],
        status,
        ...(typeof x["reason"] === "string" ? { reason: x["reason"] } : {}),
        ...(typeof x["message"] === "string" && x["message"] !== "" ? { message: x["message"] } : {}),
      } as Condition,
    ];
  });
}

/** Counters of a MachineDeployment or a control plane (v1beta2 fields, v1beta1's updatedReplicas as fallback). */
export function replicaStatus(o: JsonObject): ReplicaStatus {
  const spec = obj(o["spec"]);
  const status = obj(o["status"]);
  const v1beta1 = obj(obj(obj(status["deprecated"])["v1beta1"]));
  const updated = status["upToDateReplicas"] ?? status["updatedReplicas"] ?? v1beta1["updatedReplicas"];
  const version = spec["version"] ?? obj(obj(spec["template"])["spec"])["version"];
  return {
    kind: String(o["kind"]),
    name: String(obj(o["metadata"])["name"]),
    desired: num(spec["replicas"]),
    replicas: num(status["replicas"]),
    ready: num(status["readyReplicas"]),
    updated: num(updated),
    available: num(status["availableReplicas"] ?? status["readyReplicas"]),
    ...(typeof status["phase"] === "string" ? { phase: status["phase"] } : {}),
    ...(typeof version === "string" ? { version } : {}),
    conditions: conditionsOf(o),
  };
}

const settled = (r: ReplicaStatus): boolean =>
  r.replicas === r.desired && r.updated === r.desired && r.available === r.desired && r.ready === r.desired;

export function readWorkloadCluster(input: ClusterStatusInput): WorkloadClusterReadout {
  const clusterPhase = obj(input.cluster?.["status"])["phase"];
  const controlPlane = input.controlPlane ? replicaStatus(input.controlPlane) : undefined;
  const mds = input.machineDeployments.map(replicaStatus);
  const machines = input.machines
    .map((m) => {
      const spec = obj(m["spec"]);
      return {
        name: String(obj(m["metadata"])["name"]),
        phase: String(obj(m["status"])["phase"] ?? "Pending"),
        ...(typeof spec["version"] === "string" ? { version: spec["version"] } : {}),
        ...(typeof spec["providerID"] === "string" ? { providerID: spec["providerID"] } : {}),
      };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const parts = [...(controlPlane ? [controlPlane] : []), ...mds];
  const behind = parts.filter((p) => !settled(p));
  let reason: string;
  if (!input.cluster) reason = "the Cluster does not exist yet";
  else if (clusterPhase !== "Provisioned") reason = `Cluster phase ${String(clusterPhase ?? "Pending")}`;
  else if (behind.length > 0)
    reason = behind
      .map(
        (p) => `${p.kind} ${p.name}: ${p.ready}/${p.desired} ready, ${p.updated} up to date, ${p.available} available`,
      )
      .join("; ");
  else reason = `Cluster Provisioned, ${parts.map((p) => `${p.kind} ${p.name} ${p.ready}/${p.desired}`).join(", ")}`;
  const ready = input.cluster !== undefined && clusterPhase === "Provisioned" && behind.length === 0;
  const phase = ready
    ? "Ready"
    : clusterPhase === "Failed"
      ? "Failed"
      : input.cluster === undefined
        ? "Pending"
        : "Progressing";
  return {
    ready,
    phase,
    ...(typeof clusterPhase === "string" ? { clusterPhase } : {}),
    ...(controlPlane ? { controlPlane } : {}),
    machineDeployments: mds,
    machines,
    conditions: conditionsOf(input.cluster),
    reason,
  };
}

/** The counters the status branch shows (sorted by key when rendered). */
export function readoutCounts(r: WorkloadClusterReadout): Record<string, number> {
  const sum = (f: (p: ReplicaStatus) => number): number => r.machineDeployments.reduce((n, p) => n + f(p), 0);
  return {
    controlPlaneDesired: r.controlPlane?.desired ?? 0,
    controlPlaneReady: r.controlPlane?.ready ?? 0,
    controlPlaneUpdated: r.controlPlane?.updated ?? 0,
    workersDesired: sum((p) => p.desired),
    workersReady: sum((p) => p.ready),
    workersUpdated: sum((p) => p.updated),
    workersAvailable: sum((p) => p.available),
    machines: r.machines.length,
  };
}
