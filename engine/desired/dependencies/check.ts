import { DiagnosticCode, type Diagnostic } from "../../model/diagnostic.ts";
import { objectRef, type FleetObject } from "../../model/fleet-object.ts";
import { locate } from "../locate.ts";
import type { ParsedDocument } from "../parse-yaml.ts";
import { cycleAt, cycleEntries, type Cycle } from "./cycles.ts";
import type { KindSchemas } from "./declarations.ts";
import { dependencyGraph, dependencyMap, type DependencyGraph } from "./graph.ts";
import type { DependencyMap } from "./resolve.ts";
import { hintIndex, unknownDependencyHint, type HintIndex } from "./unknown-hint.ts";

/** A parsed fleet document and its file, as the loader holds them. */
export interface SourceDocument {
  readonly file: string;
  readonly parsed: ParsedDocument;
}

/** Cycles longer than this are named by their first objects, a count and the way back. */
const MAX_NAMED = 12;

/** `A → B → C → A`, starting at the declaring object. */
export function describeCycle(cycle: Cycle, objects: readonly FleetObject[]): string {
  const length = cycle.ring.length;
  const name = (k: number): string => objectRef(objects[cycleAt(cycle, k)] as FleetObject);
  if (length <= MAX_NAMED) return Array.from({ length: length + 1 }, (_, k) => name(k)).join(" → ");
  const head = Array.from({ length: MAX_NAMED - 2 }, (_, k) => name(k));
  return [...head, `… ${length - MAX_NAMED + 1} more …`, name(length - 1), name(length)].join(" → ");
}

export interface DependencyCheck {
  readonly diagnostics: readonly Diagnostic[];
  /** Every object's resolved dependencies (what `DesiredState.dependencies` holds). */
  readonly dependencies: DependencyMap;
}

/**
 * The loader's dependency rules over the objects of one commit: malformed annotations, dependencies
 * that name no object of the commit, objects depending on themselves, and cycles (every declaration
 * on a cycle, each naming the cycle from its own object). Each diagnostic points at the declaring
 * `spec.dependsOn` entry or annotation. Linear unless cycles are tangled.
 */
export function checkDependencies(
  objects: readonly FleetObject[],
  documents: readonly SourceDocument[],
  kinds: KindSchemas,
): DependencyCheck {
  const graph = dependencyGraph(objects, kinds);
  return { diagnostics: diagnosticsOf(graph, documents), dependencies: dependencyMap(graph) };
}

function diagnosticsOf(graph: DependencyGraph, documents: readonly SourceDocument[]): Diagnostic[] {
  const { objects } = graph;
  const declaredNothing = graph.edges.every((e) => e.length === 0);
  if (declaredNothing && graph.problems.length === 0 && graph.unresolved.length === 0) return [];
  const parsedAt = new Map(documents.map((d) => [`${d.file}:${d.parsed.line}:${d.parsed.col}`, d.parsed]));
  const at = (from: number, pointer: string, code: Diagnostic["code"], message: string): Diagnostic => {
    const o = objects[from] as FleetObject;
    const parsed = parsedAt.get(`${o.source.file}:${o.source.line}:${o.source.col}`);
    const pos = parsed ? locate(parsed, pointer) : { line: o.source.line, col: o.source.col };
    return { file: o.source.file, line: pos.line, col: pos.col, pointer, code, message: `${objectRef(o)}: ${message}` };
  };

  const out: Diagnostic[] = [];
  for (const { from, problem } of graph.problems) {
    out.push(at(from, problem.pointer, DiagnosticCode.InvalidValue, problem.message));
  }
  let index: HintIndex | undefined;
  for (const { from, declaration: d } of graph.unresolved) {
    const namespace = d.namespace ?? (objects[from] as FleetObject).namespace;
    const wanted = objectRef({ kind: d.kind, namespace, name: d.name });
    const hint = unknownDependencyHint(d, namespace, (index ??= hintIndex(objects)));
    const message = `${d.where} names ${wanted}, which is not among the objects of this commit; ${hint}`;
    out.push(at(from, d.pointer, DiagnosticCode.UnknownDependency, message));
  }
  for (const { from, edge, cycle } of cycleEntries(graph)) {
    const message =
      cycle.ring.length === 1
        ? `${edge.declaration.where} names the object itself; remove it (an object cannot wait for itself)`
        : `${edge.declaration.where} is on a dependency cycle: ${describeCycle(cycle, objects)}; none of them can ` +
          "become Ready first: remove one of these dependencies";
    out.push(at(from, edge.declaration.pointer, DiagnosticCode.DependencyCycle, message));
  }
  return out;
}
