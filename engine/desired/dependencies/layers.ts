import { BosunError } from "../../model/errors.ts";
import { objectKey, objectRef, type FleetObject } from "../../model/fleet-object.ts";
import { dependenciesOf, type DependencyMap } from "./resolve.ts";

/** Kind, then namespace, then name: the order inside a layer. */
export function compareByKindNamespaceName(a: FleetObject, b: FleetObject): number {
  return compareText(a.kind, b.kind) || compareText(a.namespace, b.namespace) || compareText(a.name, b.name);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Objects grouped in layers: layer 0 depends on nothing, every object of layer n depends only on
 * objects of earlier layers and on at least one of layer n − 1 (each object as early as it can
 * go). Inside a layer: kind, namespace, name. Dependencies on objects not in `objects` are
 * ignored, so a subset can be layered. Kahn's algorithm: linear in objects + dependencies, plus
 * sorting each layer. A cycle (which the loader rejects) throws. Usually
 * `dependencyLayers(desired.objects, desired)`.
 */
export function dependencyLayers(
  objects: readonly FleetObject[],
  desired: { readonly dependencies?: DependencyMap },
): FleetObject[][] {
  const indexByKey = new Map(objects.map((o, i) => [objectKey(o), i]));
  const waitingFor = new Array<number>(objects.length).fill(0);
  const dependents: number[][] = objects.map(() => []);
  objects.forEach((object, i) => {
    const on = new Set(dependenciesOf(object, desired).map((ref) => indexByKey.get(objectKey(ref))));
    for (const d of on) {
      if (d === undefined) continue;
      waitingFor[i] = (waitingFor[i] ?? 0) + 1;
      dependents[d]?.push(i);
    }
  });

  const layerOf = new Array<number>(objects.length).fill(-1);
  let frontier = objects.flatMap((_, i) => (waitingFor[i] === 0 ? [i] : []));
  for (let layer = 0; frontier.length > 0; layer++) {
    const next: number[] = [];
    for (const i of frontier) {
      layerOf[i] = layer;
      for (const d of dependents[i] ?? []) {
        const left = (waitingFor[d] ?? 0) - 1;
        waitingFor[d] = left;
        if (left === 0) next.push(d);
      }
    }
    frontier = next;
  }

  const stuck = objects.filter((_, i) => layerOf[i] === -1);
  if (stuck.length > 0) {
    const named = stuck.slice(0, 5).map(objectRef).join(", ") + (stuck.length > 5 ? ", …" : "");
    throw new BosunError(
      "dependencies",
      `${stuck.length} objects wait on a cycle (${named}); the loader rejects cycles`,
      { code: "DEPENDENCY_CYCLE" },
    );
  }
  const layers: FleetObject[][] = [];
  objects.forEach((object, i) => (layers[layerOf[i] ?? 0] ??= []).push(object));
  return layers.map((layer) => layer.sort(compareByKindNamespaceName));
}
