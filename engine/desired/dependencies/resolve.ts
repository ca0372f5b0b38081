import { objectKey, type FleetObject } from "../../model/fleet-object.ts";
import { groupOf, type ObjectRef } from "../../model/object-ref.ts";
import type { DependencyDeclaration } from "./declarations.ts";

/** Objects by `objectKey` (`Kind/namespace/name`, `Kind/name` when cluster-scoped). */
export type ObjectsByKey = ReadonlyMap<string, FleetObject>;

/** Every object's resolved dependencies by its `objectKey`; objects without dependencies are absent. */
export type DependencyMap = ReadonlyMap<string, readonly ObjectRef[]>;

/** Indexes objects by `objectKey`, as the resolver looks them up. */
export function objectsByKey(objects: readonly FleetObject[]): Map<string, FleetObject> {
  return new Map(objects.map((o) => [objectKey(o), o]));
}

/**
 * The object of the commit a declaration names, or undefined. Without a namespace, a dependency
 * is looked up in the depending object's namespace first (a namespaced kind), then among
 * cluster-scoped objects: the loaded objects say which scope a kind has. An apiVersion, when
 * given, must name the object's API group.
 */
export function resolveDeclaration(
  declaration: DependencyDeclaration,
  dependent: FleetObject,
  byKey: ObjectsByKey,
): FleetObject | undefined {
  const { kind, name } = declaration;
  const inNamespace = (namespace: string): FleetObject | undefined => byKey.get(objectKey({ kind, namespace, name }));
  const found =
    declaration.namespace !== undefined
      ? inNamespace(declaration.namespace)
      : ((dependent.namespace === "" ? undefined : inNamespace(dependent.namespace)) ?? inNamespace(""));
  if (found === undefined) return undefined;
  if (declaration.apiVersion !== undefined && groupOf(declaration.apiVersion) !== groupOf(found.apiVersion))
    return undefined;
  return found;
}

/** The identity of an object as a dependency reference. */
export function refTo({ apiVersion, kind, namespace, name }: FleetObject): ObjectRef {
  return { apiVersion, kind, namespace, name };
}

/**
 * The resolved dependencies of an object of a loaded desired state: what must be Ready before it
 * is applied, each once, in declared order. The loader resolved and checked them (every one names
 * an object of the commit, none is the object, no cycles); a desired state built by hand without
 * `dependencies` has none.
 */
export function dependenciesOf(
  object: FleetObject,
  desired: { readonly dependencies?: DependencyMap },
): readonly ObjectRef[] {
  return desired.dependencies?.get(objectKey(object)) ?? [];
}
