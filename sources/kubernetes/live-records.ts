import type { KubeObject } from "../../clients/kubernetes/types.ts";
import { toLiveProcess } from "../../engine/kinds/device-process/live-process.ts";
import { DEVICE_KINDS, Labels, MANAGER, type DeviceKind } from "../../engine/model/device.ts";
import type { LiveStore } from "../../engine/kinds/device-process-deployment/live-store.ts";

export const DEVICE_API = "azure.com/v1alpha1";
export const LEASE_PREFIX = "bosun-device-";

/** What the live cache follows: label selectors keep the server from sending what Bosun does not read. */
export const LIVE_KINDS = {
  devices: DEVICE_KINDS.map((kind) => ({ apiVersion: DEVICE_API, kind })),
  processes: {
    apiVersion: DEVICE_API,
    kind: "DeviceProcess",
    labelSelector: `${Labels.managedBy}=${MANAGER},${Labels.deployment}`,
  },
  deployments: { apiVersion: DEVICE_API, kind: "DeviceProcessDeployment" },
  leases: { apiVersion: "coordination.k8s.io/v1", kind: "Lease" },
} as const;

const isDeviceKind = (kind: string): kind is DeviceKind => (DEVICE_KINDS as readonly string[]).includes(kind);

/** Labels as their own small object: nothing else of the API object is kept. */
function labelsOf(o: KubeObject): Readonly<Record<string, string>> {
  return o.metadata.labels ?? {};
}

/**
 * Feeds one watch/list event into the compact store: a device keeps kind, name and labels; a
 * DeviceProcess becomes a LiveProcess; a Lease its renew time; a deployment uid, generation and
 * status. The API object itself is not retained.
 */
export function ingest(store: LiveStore, type: "ADDED" | "MODIFIED" | "DELETED", o: KubeObject): void {
  const ns = o.metadata.namespace ?? "";
  const name = o.metadata.name;
  if (isDeviceKind(o.kind)) {
    if (type === "DELETED") store.removeDevice(o.kind, name, ns);
    else store.upsertDevice({ kind: o.kind, name, labels: labelsOf(o) }, ns);
  } else if (o.kind === "DeviceProcess") {
    const deployment = o.metadata.labels?.[Labels.deployment];
    if (type === "DELETED" || deployment === undefined) store.removeProcess(ns, name);
    else store.upsertProcess(ns, deployment, toLiveProcess(o));
  } else if (o.kind === "Lease") {
    if (!name.startsWith(LEASE_PREFIX)) return;
    const device = name.slice(LEASE_PREFIX.length);
    const renew = ((o["spec"] ?? {}) as { renewTime?: string }).renewTime;
    const at = renew ? Date.parse(renew) : Number.NaN;
    if (type === "DELETED" || Number.isNaN(at)) store.removeHeartbeat(ns, device);
    else store.setHeartbeat(ns, device, at);
  } else if (o.kind === "DeviceProcessDeployment") {
    if (type === "DELETED") {
      store.removeDeployment(ns, name);
      return;
    }
    const previous = store.deployment(ns, name);
    const rv = o.metadata.resourceVersion;
    store.setDeployment(
      ns,
      name,
      {
        uid: o.metadata.uid,
        generation: o.metadata.generation ?? 0,
        status: o["status"] as Record<string, unknown> | undefined,
        resourceVersion: rv,
      },
      previous.value === undefined || rv === undefined || previous.value.resourceVersion !== rv,
    );
  }
}
