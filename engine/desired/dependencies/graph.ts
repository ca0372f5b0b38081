import { objectKey, type FleetObject } from "../../model/fleet-object.ts";
import type { ObjectRef } from "../../model/object-ref.ts";
import {
  declaredDependencies,
  type DeclarationProblem,
  type DependencyDeclaration,
  type KindSchemas,
} from "./declarations.ts";
import { objectsByKey, refTo, resolveDeclaration, type DependencyMap } from "./resolve.ts";

/** One resolved declaration: `objects[from]` depends on `objects[to]`. */
export interface DependencyEdge {
  readonly to: number;
  readonly declaration: DependencyDeclaration;
}

/** The dependencies of a set of objects as a graph over their indices, with what did not resolve. */
export interface DependencyGraph {
  readonly objects: readonly FleetObject[];
  /** Per object, its resolved declarations (an object depending on itself included). */
  readonly edges: readonly (readonly DependencyEdge[])[];
  readonly unresolved: readonly { readonly from: number; readonly declaration: DependencyDeclaration }[];
  readonly problems: readonly { readonly from: number; readonly problem: DeclarationProblem }[];
}

/** Resolves every object's declarations against the others. Linear in objects + declarations. */
export function dependencyGraph(objects: readonly FleetObject[], kinds: KindSchemas): DependencyGraph {
  const byKey = objectsByKey(objects);
  const indexOf = new Map(objects.map((o, i) => [o, i]));
  const edges: DependencyEdge[][] = [];
  const unresolved: { from: number; declaration: DependencyDeclaration }[] = [];
  const problems: { from: number; problem: DeclarationProblem }[] = [];
  objects.forEach((object, from) => {
    const declared = declaredDependencies(object, kinds);
    for (const problem of declared.problems) problems.push({ from, problem });
    const out: DependencyEdge[] = [];
    for (const declaration of declared.declarations) {
      const found = resolveDeclaration(declaration, object, byKey);
      const to = found === undefined ? undefined : indexOf.get(found);
      if (to === undefined) unresolved.push({ from, declaration });
      else out.push({ to, declaration });
    }
    edges.push(out);
  });
  return { objects, edges, unresolved, problems };
}

/** Each object's resolved dependencies (each once, in declared order, itself left out) by `objectKey`. */
export function dependencyMap(graph: DependencyGraph): DependencyMap {
  const out = new Map<string, readonly ObjectRef[]>();
  graph.edges.forEach((edges, from) => {
    const targets = [...new Set(edges.map((e) => e.to))].filter((to) => to !== from);
    const object = graph.objects[from] as FleetObject;
    if (targets.length > 0)
      out.set(
        objectKey(object),
        targets.map((to) => refTo(graph.objects[to] as FleetObject)),
      );
  });
  return out;
}
