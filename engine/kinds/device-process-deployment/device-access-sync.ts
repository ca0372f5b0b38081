/**
 * Keeps the per-device RBAC of the device agents in step with the rollouts (bosun.yaml
 * `agents.rbac`): applies the Role + RoleBinding of each device whose set of DeviceProcesses (or
 * referenced Secrets/ConfigMaps) changed, and deletes those of devices with none left. Remembers
 * what each device's objects were made from, so an unchanged device costs no rendering and no API
 * call; on its first pass it lists what Bosun created before (label managed-by bosun) to remove
 * what an earlier process left behind.
 */
import type { DeviceRbacInput } from "../device-process/agent-rbac.ts";
import { deviceAccessObjects } from "./device-access.ts";
import { Labels, MANAGER } from "../../model/device.ts";
import type { Change } from "../../model/change.ts";
import type { JsonObject, ObjectRef } from "../../model/object-ref.ts";
import type { DeviceFleet } from "./ports.ts";

const RBAC = "rbac.authorization.k8s.io/v1";
const KINDS = ["Role", "RoleBinding"] as const;
const NAME_PREFIX = "bosun-device-";

function refOf(o: JsonObject): ObjectRef {
  const meta = o["metadata"] as { name: string; namespace?: string };
  return {
    apiVersion: String(o["apiVersion"]),
    kind: String(o["kind"]),
    namespace: meta.namespace ?? "",
    name: meta.name,
  };
}

const keyOf = (r: ObjectRef): string => `${r.kind}/${r.namespace}/${r.name}`;

/** The Role and RoleBinding of the device behind a `<namespace>/<device>` key. */
function refsOf(deviceKey: string): ObjectRef[] {
  const slash = deviceKey.indexOf("/");
  const namespace = deviceKey.slice(0, slash);
  const name = `${NAME_PREFIX}${deviceKey.slice(slash + 1)}`;
  return KINDS.map((kind) => ({ apiVersion: RBAC, kind, namespace, name }));
}

/**
 * A 53-bit hash of a string (two FNV-1a passes): what is remembered per device. A number costs a
 * few bytes where the text would cost a few hundred at 100,000 devices; a changed device is missed
 * only if its old and new inputs collide (2⁻⁵³).
 */
function hash53(text: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return (a >>> 0) * 2 ** 21 + ((b >>> 0) >>> 11);
}

/** What a device's objects are made from: equal signatures render equal objects. */
function signatureOf(i: DeviceRbacInput): number {
  return hash53(`${i.deviceProcesses.join(",")}|${(i.secrets ?? []).join(",")}|${(i.configMaps ?? []).join(",")}`);
}

/** The signature of a live Role (its resourceNames), to compare with signatureOf. */
function signatureOfRole(role: JsonObject): number {
  const rules = (Array.isArray(role["rules"]) ? role["rules"] : []) as {
    resources?: string[];
    resourceNames?: string[];
  }[];
  const names = (resource: string): string =>
    rules.find((r) => r.resources?.includes(resource) && r.resourceNames)?.resourceNames?.join(",") ?? "";
  return hash53(`${names("deviceprocesses")}|${names("secrets")}|${names("configmaps")}`);
}

export class DeviceAccessSync {
  /**
   * Per `<namespace>/<device>`: the signature of what was applied. Undefined until the first pass has listed the
   * cluster.
   */
  private applied: Map<string, number> | undefined;

  async sync(
    access: ReadonlyMap<string, DeviceRbacInput>,
    backend: DeviceFleet,
    signal: AbortSignal,
  ): Promise<Change[]> {
    let changes: Change[] = []; // concat, not push(...): 100,000 devices are 200,000 entries
    let applied = this.applied;
    if (!applied) {
      // First pass (engine start): what the cluster holds stands for what was applied, so a
      // restart rewrites only the devices that changed meanwhile and removes Bosun's leftovers.
      const [roles, bindings] = await Promise.all(
        KINDS.map(async (kind) =>
          (await backend.listLabelled(RBAC, kind, { [Labels.managedBy]: MANAGER }, signal)).filter((o) =>
            refOf(o).name.startsWith(NAME_PREFIX),
          ),
        ),
      );
      const bound = new Set((bindings ?? []).map((o) => keyOf({ ...refOf(o), kind: "Role" })));
      applied = new Map();
      for (const role of roles ?? []) {
        const ref = refOf(role);
        if (bound.has(keyOf(ref)))
          applied.set(`${ref.namespace}/${ref.name.slice(NAME_PREFIX.length)}`, signatureOfRole(role));
      }
      const stale = [...(roles ?? []), ...(bindings ?? [])]
        .map(refOf)
        .filter((r) => !access.has(`${r.namespace}/${r.name.slice(NAME_PREFIX.length)}`));
      if (stale.length > 0) changes = changes.concat(await backend.deleteTargets(stale, signal));
      for (const r of stale) applied.delete(`${r.namespace}/${r.name.slice(NAME_PREFIX.length)}`);
      this.applied = applied;
    }
    // Only devices whose inputs changed are rendered and written.
    const toApply: { key: string; signature: number; objects: JsonObject[] }[] = [];
    for (const [key, input] of access) {
      const signature = signatureOf(input);
      if (applied.get(key) !== signature) toApply.push({ key, signature, objects: deviceAccessObjects(input) });
    }
    if (toApply.length > 0) {
      const results = await backend.applyGenerated(
        toApply.flatMap((d) => d.objects),
        signal,
      );
      const failed = new Set(results.filter((c) => c.error !== undefined).map((c) => keyOf(c.ref)));
      changes = changes.concat(results);
      for (const d of toApply) {
        if (d.objects.some((o) => failed.has(keyOf(refOf(o)))))
          applied.delete(d.key); // retried next pass
        else applied.set(d.key, d.signature);
      }
    }
    const gone = [...applied.keys()].filter((key) => !access.has(key));
    if (gone.length > 0) {
      const results = await backend.deleteTargets(gone.flatMap(refsOf), signal);
      const failed = new Set(results.filter((c) => c.error !== undefined).map((c) => keyOf(c.ref)));
      changes = changes.concat(results);
      // else retried next pass
      for (const key of gone) if (!refsOf(key).some((r) => failed.has(keyOf(r)))) applied.delete(key);
    }
    return changes;
  }
}
