import { SELF_HEAL_ANNOTATION } from "../diff/types.ts";
import type { KindRegistry } from "../kinds/kind-registry.ts";
import type { KindRegistration } from "../kinds/registration.ts";
import { Labels, MANAGER } from "../model/device.ts";
import type { FleetObject } from "../model/fleet-object.ts";
import type { JsonObject } from "../model/object-ref.ts";

/** One fleet object on its way to a backend, with the manifest that backend gets. */
export interface Routed {
  readonly object: FleetObject;
  readonly manifest: JsonObject;
  readonly kind: KindRegistration | undefined;
}

export interface Partition {
  /** Objects per backend name (sorted by name), in desired-state order. */
  readonly byBackend: ReadonlyMap<string, readonly Routed[]>;
  /** Inventory objects (read from the cluster, never written) found in the repo. */
  readonly inventory: readonly FleetObject[];
  /** Kinds Bosun validates but cannot reconcile here, and why. */
  readonly notReconciled: readonly { readonly object: FleetObject; readonly reason: string }[];
}

/**
 * The manifest a backend gets: the fleet object with `app.kubernetes.io/managed-by: bosun` and
 * its kind's extra labels, without `spec.dependsOn` (the engine's, not the backend's) and without a
 * namespace when the object is cluster-scoped (kustomize and Helm output often carry one).
 */
export function manifestOf(
  object: FleetObject,
  kind: KindRegistration | undefined,
  defaults: ManifestDefaults = { selfHeal: true },
): JsonObject {
  const body = structuredClone(object.body) as JsonObject;
  const metadata = (body["metadata"] ??= {}) as JsonObject;
  const annotations = (metadata["annotations"] ?? {}) as Record<string, string>;
  // bosun.yaml `defaults.selfHeal: false` reaches every sink as the per-object override (an object may set its own).
  if (!defaults.selfHeal && annotations[SELF_HEAL_ANNOTATION] === undefined) {
    metadata["annotations"] = { ...annotations, [SELF_HEAL_ANNOTATION]: "false" };
  }
  // Cluster-scoped (a built-in kind, or a CRD with scope: Cluster): the server drops a namespace, so Bosun does too.
  if (object.namespace === "") delete metadata["namespace"];
  const labels = (metadata["labels"] ?? {}) as Record<string, string>;
  metadata["labels"] = { ...labels, [Labels.managedBy]: MANAGER, ...(kind?.labels?.(object) ?? {}) };
  const spec = body["spec"];
  if (kind && typeof spec === "object" && spec !== null && "dependsOn" in spec)
    delete (spec as JsonObject)["dependsOn"];
  return body;
}

/** What bosun.yaml's defaults put on every manifest. */
export interface ManifestDefaults {
  /** `defaults.selfHeal`: false marks each object `bosun.dev/self-heal: "false"` unless it says otherwise. */
  readonly selfHeal: boolean;
}

/** Sorts the desired state by where each object goes: a registered backend, inventory, or nowhere yet. */
export function partition(
  objects: readonly FleetObject[],
  kinds: KindRegistry,
  backends: ReadonlySet<string>,
  defaults: ManifestDefaults = { selfHeal: true },
): Partition {
  const byBackend = new Map<string, Routed[]>();
  const inventory: FleetObject[] = [];
  const notReconciled: { object: FleetObject; reason: string }[] = [];
  for (const object of objects) {
    const place = kinds.placeOf(object.apiVersion, object.kind);
    if (place === undefined) {
      notReconciled.push({ object, reason: `Bosun has no ${object.kind} backend yet` });
    } else if ("role" in place) {
      if (place.role === "inventory") inventory.push(object);
    } else if (!backends.has(place.backend)) {
      notReconciled.push({ object, reason: `the ${place.backend} backend is not configured in this engine` });
    } else {
      const kind = kinds.get(object.apiVersion, object.kind);
      let list = byBackend.get(place.backend);
      if (!list) byBackend.set(place.backend, (list = []));
      list.push({ object, manifest: manifestOf(object, kind, defaults), kind });
    }
  }
  const sorted = new Map([...byBackend.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { byBackend: sorted, inventory, notReconciled };
}
