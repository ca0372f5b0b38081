/**
 * A TenantCluster read once (pure): the Kamaji control plane it wants and its Proxmox worker pool,
 * with the schema defaults the loader applied (seed 001's field names).
 */
import type { FleetObject } from "../../model/fleet-object.ts";

export type PowerState = "Running" | "Stopped";

export interface WorkerPool {
  readonly count: number;
  readonly cores: number;
  readonly memoryMiB: number;
  readonly diskGiB: number;
  readonly templateVmid: number;
  /** The node the template lives on (absent: found in the cluster's resources). */
  readonly templateNode: string | undefined;
  readonly storage: string | undefined;
  readonly bridge: string | undefined;
  /** Proxmox nodes that may host workers (absent: every online node). */
  readonly nodes: readonly string[] | undefined;
  readonly pool: string | undefined;
  readonly powerState: PowerState;
}

export interface ControlPlane {
  readonly version: string;
  readonly replicas: number;
  readonly serviceType: string;
  readonly port: number;
  readonly dataStore: string | undefined;
  readonly addons: Readonly<Record<string, unknown>>;
}

export interface TenantCluster {
  readonly object: FleetObject;
  readonly namespace: string;
  readonly name: string;
  /** `namespace/name`: what the VMs' descriptions carry to prove whose they are. */
  readonly key: string;
  readonly controlPlane: ControlPlane;
  readonly workers: WorkerPool;
}

const rec = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const num = (v: unknown, d: number): number => (typeof v === "number" ? v : d);

export function readTenantCluster(object: FleetObject): TenantCluster {
  const spec = rec(object.body["spec"]);
  const cp = rec(spec["controlPlane"]);
  const w = rec(spec["workers"]);
  const template = rec(w["template"]);
  const selector = rec(w["nodeSelector"]);
  const nodes = Array.isArray(selector["nodes"]) ? (selector["nodes"] as unknown[]).map(String) : undefined;
  return {
    object,
    namespace: object.namespace,
    name: object.name,
    key: `${object.namespace}/${object.name}`,
    controlPlane: {
      version: String(cp["version"] ?? ""),
      replicas: num(cp["replicas"], 2),
      serviceType: str(cp["serviceType"]) ?? "LoadBalancer",
      port: num(cp["port"], 6443),
      dataStore: str(cp["dataStore"]),
      addons: rec(cp["addons"]),
    },
    workers: {
      count: num(w["count"], 0),
      cores: num(w["cores"], 2),
      memoryMiB: num(w["memoryMiB"], 4096),
      diskGiB: num(w["diskGiB"], 40),
      templateVmid: num(template["vmid"], 0),
      templateNode: str(template["node"]),
      storage: str(w["storage"]),
      bridge: str(w["bridge"]),
      nodes,
      pool: str(selector["pool"]),
      powerState: w["powerState"] === "Stopped" ? "Stopped" : "Running",
    },
  };
}
