/**
 * Per-device RBAC for the device agents (bosun.yaml `agents.rbac`), pure: from the placements of
 * every DeviceProcessDeployment, one Role + RoleBinding per device and namespace that let the
 * device's agent read and report on its own DeviceProcesses only (agent/rbac/render.ts has the
 * rules). Labelled managed-by bosun, so only what Bosun created is ever removed.
 */
import { renderDeviceRbac, type DeviceRbacInput } from "../device-process/agent-rbac.ts";
import { Labels, MANAGER } from "../../model/device.ts";
import type { Deployment } from "./deployment.ts";
import type { Placement } from "./expand.ts";

type Json = Record<string, unknown>;

/** The Secrets and ConfigMaps a DeviceProcess spec references (env valueFrom, artifact pull secret). */
export function referencedObjects(spec: Readonly<Json>): { secrets: string[]; configMaps: string[] } {
  const secrets = new Set<string>();
  const configMaps = new Set<string>();
  const pull = ((spec["artifact"] ?? {}) as Json)["pullSecretRef"] as Json | undefined;
  if (typeof pull?.["name"] === "string") secrets.add(pull["name"]);
  const env = ((spec["execution"] ?? {}) as Json)["env"];
  for (const e of Array.isArray(env) ? (env as Json[]) : []) {
    const from = (e["valueFrom"] ?? {}) as Json;
    const secret = (from["secretKeyRef"] ?? {}) as Json;
    const configMap = (from["configMapKeyRef"] ?? {}) as Json;
    if (typeof secret["name"] === "string") secrets.add(secret["name"]);
    if (typeof configMap["name"] === "string") configMaps.add(configMap["name"]);
  }
  return { secrets: [...secrets], configMaps: [...configMaps] };
}

/** `<namespace>/<device>` → what its agent may reach, over all deployments. */
export function deviceAccess(
  deployments: readonly { deployment: Deployment; placements: readonly Placement[] }[],
): Map<string, DeviceRbacInput> {
  const out = new Map<
    string,
    { device: string; namespace: string; processes: Set<string>; secrets: Set<string>; configMaps: Set<string> }
  >();
  for (const { deployment, placements } of deployments) {
    const refs = referencedObjects(deployment.templateSpec);
    for (const p of placements) {
      const key = [deployment.namespace, p.device.name].join("/"); // flat: kept as a map key for the engine's lifetime
      let entry = out.get(key);
      if (!entry)
        out.set(
          key,
          (entry = {
            device: p.device.name,
            namespace: deployment.namespace,
            processes: new Set(),
            secrets: new Set(),
            configMaps: new Set(),
          }),
        );
      entry.processes.add(p.processName);
      for (const s of refs.secrets) entry.secrets.add(s);
      for (const c of refs.configMaps) entry.configMaps.add(c);
    }
  }
  return new Map(
    [...out]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, e]) => [
        key,
        {
          device: e.device,
          namespace: e.namespace,
          deviceProcesses: [...e.processes].sort(),
          secrets: [...e.secrets].sort(),
          configMaps: [...e.configMaps].sort(),
        },
      ]),
  );
}

/** The Role and RoleBinding for one device, labelled as Bosun's. */
export function deviceAccessObjects(input: DeviceRbacInput): Json[] {
  return renderDeviceRbac(input).map((o) => {
    const meta = o["metadata"] as Json;
    return { ...o, metadata: { ...meta, labels: { ...(meta["labels"] as Json), [Labels.managedBy]: MANAGER } } };
  });
}
