/**
 * What Bosun applied for one workload cluster, kept on its management cluster next to the objects
 * (ConfigMap `bosun-wc-<name>` in the cluster's namespace, labelled as Bosun's, so a move carries it
 * along): the only prune candidates when a new render leaves an object out.
 */
import type { FleetObject } from "../../model/fleet-object.ts";
import type { JsonObject } from "../../model/object-ref.ts";
import { Labels, MANAGER } from "../../model/device.ts";
import type { ClusterObjectRef, ManagementCluster } from "./ports.ts";
import { clusterLabelValue, WORKLOAD_CLUSTER_LABEL } from "./render.ts";

export interface ClusterInventory {
  readonly refs: readonly ClusterObjectRef[];
}

export const INVENTORY_KEY = "inventory.json";

export function inventoryName(wc: { name: string }): string {
  return `bosun-wc-${wc.name}`;
}

export function inventoryConfigMap(wc: FleetObject, inventory: ClusterInventory): JsonObject {
  const refs = [...inventory.refs]
    .map((r) => ({ apiVersion: r.apiVersion, kind: r.kind, namespace: r.namespace, name: r.name }))
    .sort((a, b) => {
      const ka = `${a.kind}|${a.name}|${a.apiVersion}`;
      const kb = `${b.kind}|${b.name}|${b.apiVersion}`;
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: inventoryName(wc),
      namespace: wc.namespace,
      labels: { [Labels.managedBy]: MANAGER, [WORKLOAD_CLUSTER_LABEL]: clusterLabelValue(wc) },
    },
    data: { [INVENTORY_KEY]: JSON.stringify(refs) },
  };
}

export function parseInventory(configMap: JsonObject | undefined): ClusterInventory {
  const text = (configMap?.["data"] as Record<string, string> | undefined)?.[INVENTORY_KEY];
  if (!text) return { refs: [] };
  try {
    const parsed = JSON.parse(text) as unknown;
    if (!Array.isArray(parsed)) return { refs: [] };
    return {
      refs: parsed.filter(
        (r): r is ClusterObjectRef =>
          typeof r === "object" && r !== null && typeof r.kind === "string" && typeof r.name === "string",
      ),
    };
  } catch {
    return { refs: [] };
  }
}

export async function readInventory(
  cluster: ManagementCluster,
  wc: { namespace: string; name: string },
  signal: AbortSignal,
): Promise<ClusterInventory> {
  const cm = await cluster.get(
    { apiVersion: "v1", kind: "ConfigMap", namespace: wc.namespace, name: inventoryName(wc) },
    signal,
  );
  return parseInventory(cm);
}
