import { bosunKinds, kindId } from "../desired/kind-registry.ts";
import { Labels, MANAGER } from "../model/device.ts";
import type { FleetObject } from "../model/fleet-object.ts";
import type { JsonObject } from "./ports.ts";

/** Bosun kinds whose backends (Proxmox, Flightctl, Cluster API rendering) are not built yet. */
const WITHOUT_BACKEND = new Set(["TenantCluster", "WorkloadCluster", "EdgeWorkload"]);

export interface Partition {
  /** Objects applied to Kubernetes as they are (plus Bosun's labels), pruned by inventory. */
  readonly kubernetes: { readonly object: FleetObject; readonly manifest: JsonObject }[];
  /** DeviceProcessDeployments: applied as CRs above, and rolled out into DeviceProcesses. */
  readonly deployments: readonly FleetObject[];
  /** Inventory objects (read from the cluster, never written) found in the repo. */
  readonly inventory: readonly FleetObject[];
  /** Kinds Bosun validates but cannot reconcile yet. */
  readonly withoutBackend: readonly FleetObject[];
}

/** Stamps `app.kubernetes.io/managed-by: bosun` (and a standalone DeviceProcess's device label). */
export function manifestOf(object: FleetObject): JsonObject {
  const body = structuredClone(object.body) as JsonObject;
  const metadata = (body["metadata"] ??= {}) as JsonObject;
  const labels: Record<string, string> = { ...((metadata["labels"] ?? {}) as Record<string, string>), [Labels.managedBy]: MANAGER };
  if (object.kind === "DeviceProcess") {
    const deviceRef = (body["spec"] as JsonObject)["deviceRef"] as JsonObject;
    labels[Labels.device] = String(deviceRef["name"]);
  }
  metadata["labels"] = labels;
  return body;
}

/** Sorts the desired state by where each object goes. */
export function partition(objects: readonly FleetObject[]): Partition {
  const out = { kubernetes: [] as Partition["kubernetes"][number][], deployments: [] as FleetObject[], inventory: [] as FleetObject[], withoutBackend: [] as FleetObject[] };
  for (const object of objects) {
    const info = bosunKinds.get(kindId(object.apiVersion, object.kind))?.info;
    if (info?.inventory) out.inventory.push(object);
    else if (WITHOUT_BACKEND.has(object.kind) && info) out.withoutBackend.push(object);
    else {
      out.kubernetes.push({ object, manifest: manifestOf(object) });
      if (object.kind === "DeviceProcessDeployment") out.deployments.push(object);
    }
  }
  return out;
}
