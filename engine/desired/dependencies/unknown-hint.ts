import { objectRef, type FleetObject } from "../../model/fleet-object.ts";
import { groupOf } from "../../model/object-ref.ts";
import type { DependencyDeclaration } from "./declarations.ts";

/** What the hint for an unresolved dependency looks at: the commit's objects by kind and name. */
export interface HintIndex {
  readonly byKindAndName: ReadonlyMap<string, readonly FleetObject[]>;
  readonly byName: ReadonlyMap<string, readonly FleetObject[]>;
  /** Names by `Kind/namespace`, for "did you mean" among the objects where the dependency was looked for. */
  readonly namesByKindAndNamespace: ReadonlyMap<string, readonly string[]>;
  readonly kinds: ReadonlySet<string>;
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Indexes the objects once for every hint of a commit. Linear. */
export function hintIndex(objects: readonly FleetObject[]): HintIndex {
  const byKindAndName = new Map<string, FleetObject[]>();
  const byName = new Map<string, FleetObject[]>();
  const namesByKindAndNamespace = new Map<string, string[]>();
  for (const o of objects) {
    push(byKindAndName, `${o.kind}/${o.name}`, o);
    push(byName, o.name, o);
    push(namesByKindAndNamespace, `${o.kind}/${o.namespace}`, o.name);
  }
  return { byKindAndName, byName, namesByKindAndNamespace, kinds: new Set(objects.map((o) => o.kind)) };
}

/** A namespace with at most this many objects of the wanted kind has their names listed (a typo is likely). */
const MAX_NEAR = 5;

function listed(objects: readonly FleetObject[]): string {
  return objects.slice(0, 3).map(objectRef).join(", ") + (objects.length > 3 ? ` and ${objects.length - 3} more` : "");
}

/**
 * How to fix a dependency that names no object of the commit: the nearest objects that exist.
 * `namespace` is where it was looked for ("" for cluster-scoped).
 */
export function unknownDependencyHint(declaration: DependencyDeclaration, namespace: string, index: HintIndex): string {
  const { kind, name, apiVersion } = declaration;
  const sameKind = index.byKindAndName.get(`${kind}/${name}`) ?? [];
  const sameGroup = sameKind.filter((o) => apiVersion === undefined || groupOf(o.apiVersion) === groupOf(apiVersion));
  if (sameKind.length > 0 && sameGroup.length === 0) {
    const apiVersions = [...new Set(sameKind.map((o) => o.apiVersion))].join(", ");
    return `there is ${listed(sameKind)} with apiVersion ${apiVersions}; fix the apiVersion or leave it out`;
  }
  const clusterScoped = sameGroup.find((o) => o.namespace === "");
  if (clusterScoped && declaration.namespace !== undefined)
    return `${objectRef(clusterScoped)} is cluster-scoped; leave the namespace out`;
  if (sameGroup.length > 0) return `there is ${listed(sameGroup)}; name its namespace`;
  const otherKinds = (index.byName.get(name) ?? []).filter((o) => o.kind !== kind);
  if (otherKinds.length > 0) return `there is ${listed(otherKinds)}; fix the kind`;
  const near = index.namesByKindAndNamespace.get(`${kind}/${namespace}`) ?? [];
  if (near.length > 0 && near.length <= MAX_NEAR) {
    const where = namespace === "" ? "" : ` in ${namespace}`;
    const names = `${kind}${where}: ${near.join(", ")}`;
    return `no ${kind} is named ${name} in any namespace (${names}); add it to the repo or fix the name`;
  }
  if (index.kinds.has(kind)) return `no ${kind} is named ${name} in any namespace; add it to the repo or fix the name`;
  return `no ${kind} is in this commit; add it (a dependency must be in the same commit) or fix the kind`;
}
