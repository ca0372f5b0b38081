import { Labels, MANAGER, type Device } from "../../model/device.ts";
import type { Deployment } from "./deployment.ts";

export interface OwnerRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
}

/** One device scheduled by a deployment, with the wave it belongs to. */
export interface Placement {
  readonly device: Device;
  readonly wave: number;
  readonly processName: string;
}

/** `<deployment>-<device>`: the DeviceProcess name for a device. */
export function processName(deployment: string, device: string): string {
  return `${deployment}-${device}`;
}

/**
 * DaemonSet semantics: every device the selector matches gets a placement, in the first wave
 * whose selector takes it. Sorted by wave, then device name: the rollout order.
 */
export function place(deployment: Deployment, devices: readonly Device[]): Placement[] {
  const out: Placement[] = [];
  for (const device of devices) {
    if (!deployment.matches(device.labels)) continue;
    const wave = deployment.waves.findIndex((w) => w.matches(device.labels));
    out.push({
      device,
      wave: wave < 0 ? deployment.waves.length - 1 : wave,
      processName: processName(deployment.name, device.name),
    });
  }
  return out.sort(
    (a, b) => a.wave - b.wave || (a.device.name < b.device.name ? -1 : a.device.name > b.device.name ? 1 : 0),
  );
}

/** The DeviceProcess object for one placement, at the deployment's current revision. */
export function renderProcess(
  deployment: Deployment,
  placement: Placement,
  owner: OwnerRef | undefined,
): Record<string, unknown> {
  const { device } = placement;
  return {
    apiVersion: "azure.com/v1alpha1",
    kind: "DeviceProcess",
    metadata: {
      name: placement.processName,
      namespace: deployment.namespace,
      labels: {
        ...device.labels,
        ...deployment.templateLabels,
        [Labels.managedBy]: MANAGER,
        [Labels.device]: device.name,
        [Labels.deployment]: deployment.name,
        [Labels.revision]: deployment.revision,
        [Labels.wave]: deployment.waves[placement.wave]?.name ?? "",
      },
      ...(owner ? { ownerReferences: [{ ...owner, controller: true, blockOwnerDeletion: true }] } : {}),
    },
    spec: { deviceRef: { kind: device.kind, name: device.name }, ...deployment.templateSpec },
  };
}
