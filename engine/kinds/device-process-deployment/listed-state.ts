import { toLiveProcess } from "../device-process/live-process.ts";
import { Labels } from "../../model/device.ts";
import type { FleetObject } from "../../model/fleet-object.ts";
import { LiveStore } from "./live-store.ts";
import { toLiveDeployment } from "./deployment-pass.ts";
import type { DeviceFleet, LiveState } from "./ports.ts";

/**
 * The full path: lists devices, the deployments' processes and leases, and GETs each deployment,
 * into a fresh snapshot. Every version in it is new, so nothing downstream is reused.
 */
export async function listedState(
  backend: DeviceFleet,
  deployments: readonly FleetObject[],
  useHeartbeats: boolean,
  signal: AbortSignal,
): Promise<LiveState> {
  const store = new LiveStore();
  for (const d of await backend.listDevices(signal)) store.upsertDevice(d);
  for (const namespace of [...new Set(deployments.map((d) => d.namespace))].sort()) {
    for (const object of await backend.listDeploymentProcesses(namespace, signal)) {
      const labels = (((object["metadata"] ?? {}) as Record<string, unknown>)["labels"] ?? {}) as Record<
        string,
        string
      >;
      store.upsertProcess(namespace, labels[Labels.deployment] ?? "", toLiveProcess(object));
    }
    if (useHeartbeats)
      for (const [device, at] of await backend.heartbeats(namespace, signal)) store.setHeartbeat(namespace, device, at);
  }
  for (const d of deployments) {
    const live = toLiveDeployment(
      await backend.get({ apiVersion: d.apiVersion, kind: d.kind, namespace: d.namespace, name: d.name }, signal),
    );
    if (live) store.setDeployment(d.namespace, d.name, live);
  }
  return store;
}
