/**
 * Dependencies between fleet objects: `spec.dependsOn` on Bosun's kinds (`{kind, name, namespace?,
 * apiVersion?}`) and the `bosun.dev/depends-on` annotation on any object (`Kind/name` or
 * `Kind/namespace/name`, comma-separated). An object is applied only when its dependencies are
 * Ready, across backends. Here: declaration, resolution against one commit, the loader's rules
 * (unknown dependency, self, cycles) and the apply order in layers. Pure.
 */
export {
  DEPENDS_ON_ANNOTATION,
  parseDependsOnAnnotation,
  type AnnotationEntry,
  type ParsedAnnotation,
} from "./dependencies/annotation.ts";
export { checkDependencies, describeCycle, type DependencyCheck, type SourceDocument } from "./dependencies/check.ts";
export {
  declaredDependencies,
  declaresDependsOn,
  type DependencyDeclaration,
  type KindSchemas,
} from "./dependencies/declarations.ts";
export { dependencyGraph, dependencyMap, type DependencyEdge, type DependencyGraph } from "./dependencies/graph.ts";
export { compareByKindNamespaceName, dependencyLayers } from "./dependencies/layers.ts";
export {
  dependenciesOf,
  objectsByKey,
  refTo,
  resolveDeclaration,
  type DependencyMap,
  type ObjectsByKey,
} from "./dependencies/resolve.ts";
export { withoutDependsOn } from "./dependencies/strip.ts";
