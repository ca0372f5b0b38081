/**
 * Keeps the per-device RBAC of the device agents in step with the rollouts (bosun.yaml
 * `agents.rbac`): applies the Role + RoleBinding of each device whose set of DeviceProcesses (or
 * referenced Secrets/ConfigMaps) changed, and deletes those of devices with none left. Remembers
 * a digest per device, so an unchanged fleet costs no API call; on its first pass it lists what
 * Bosun created before (label managed-by bosun) to remove what an earlier process left behind.
 */
import type { DeviceRbacInput } from "../../agent/rbac/render.ts";
import { digest } from "../kinds/canonical-json.ts";
import { deviceAccessObjects } from "../kinds/device-process-deployment/device-access.ts";
import { Labels, MANAGER } from "../model/device.ts";
import type { Change, FleetBackend, JsonObject, ObjectRef } from "./ports.ts";

const RBAC = "rbac.authorization.k8s.io/v1";
const KINDS = ["Role", "RoleBinding"] as const;
const NAME_PREFIX = "bosun-device-";

function refOf(o: JsonObject): ObjectRef {
  const meta = o["metadata"] as { name: string; namespace?: string };
  return { apiVersion: String(o["apiVersion"]), kind: String(o["kind"]), namespace: meta.namespace ?? "", name: meta.name };
}

const keyOf = (r: ObjectRef): string => `${r.kind}/${r.namespace}/${r.name}`;

/** The Role and RoleBinding of the device behind a `<namespace>/<device>` key. */
function refsOf(deviceKey: string): ObjectRef[] {
  const slash = deviceKey.indexOf("/");
  const namespace = deviceKey.slice(0, slash);
  const name = `${NAME_PREFIX}${deviceKey.slice(slash + 1)}`;
  return KINDS.map((kind) => ({ apiVersion: RBAC, kind, namespace, name }));
}

export class DeviceAccessSync {
  /** Per `<namespace>/<device>`: the digest of what was applied. Undefined until the first pass has listed the cluster. */
  private applied: Map<string, string> | undefined;

  async sync(access: ReadonlyMap<string, DeviceRbacInput>, backend: FleetBackend, signal: AbortSignal): Promise<Change[]> {
    const desired = new Map<string, { objects: JsonObject[]; digest: string }>();
    for (const [key, input] of access) {
      const objects = deviceAccessObjects(input);
      desired.set(key, { objects, digest: digest(objects, 32) });
    }
    const changes: Change[] = [];
    let applied = this.applied;
    if (!applied) {
      const wanted = new Set([...desired.values()].flatMap((d) => d.objects.map((o) => keyOf(refOf(o)))));
      const existing: ObjectRef[] = [];
      for (const kind of KINDS) existing.push(...(await backend.listLabelled(RBAC, kind, { [Labels.managedBy]: MANAGER }, signal)).filter((r) => r.name.startsWith(NAME_PREFIX)));
      const stale = existing.filter((r) => !wanted.has(keyOf(r)));
      if (stale.length > 0) changes.push(...(await backend.deleteTargets(stale, signal)));
      applied = new Map();
      this.applied = applied;
    }
    const toApply = [...desired].filter(([key, d]) => applied.get(key) !== d.digest);
    if (toApply.length > 0) {
      const results = await backend.applyGenerated(toApply.flatMap(([, d]) => d.objects), signal);
      const failed = new Set(results.filter((c) => c.error !== undefined).map((c) => keyOf(c.ref)));
      changes.push(...results);
      for (const [key, d] of toApply) {
        if (d.objects.some((o) => failed.has(keyOf(refOf(o))))) applied.delete(key); // retried next pass
        else applied.set(key, d.digest);
      }
    }
    const gone = [...applied].filter(([key]) => !desired.has(key));
    if (gone.length > 0) {
      const results = await backend.deleteTargets(gone.flatMap(([key]) => refsOf(key)), signal);
      const failed = new Set(results.filter((c) => c.error !== undefined).map((c) => keyOf(c.ref)));
      changes.push(...results);
      for (const [key] of gone) if (!refsOf(key).some((r) => failed.has(keyOf(r)))) applied.delete(key); // else retried next pass
    }
    return changes;
  }
}
