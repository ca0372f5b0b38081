import type { FleetObject } from "../../model/fleet-object.ts";
import { DEPENDS_ON_ANNOTATION, parseDependsOnAnnotation } from "./annotation.ts";

type Json = Record<string, unknown>;

/**
 * The part of the kind registry the dependency rules read: a kind's schema. `spec.dependsOn` is
 * Bosun's only on kinds whose schema declares it; on other kinds (Flux's Kustomization and
 * HelmRelease have their own) it belongs to the kind and is left alone.
 */
export interface KindSchemas {
  get(apiVersion: string, kind: string): { readonly schema?: Readonly<Record<string, unknown>> } | undefined;
}

/** One dependency as an object declares it, before it is resolved against the commit. */
export interface DependencyDeclaration {
  /** Optional; only its API group is compared (any version names the same object). */
  readonly apiVersion?: string;
  readonly kind: string;
  /** Absent: the depending object's namespace when the dependency is namespaced. */
  readonly namespace?: string;
  readonly name: string;
  /** Where it is declared in the document (JSON pointer): a `spec.dependsOn` entry or the annotation. */
  readonly pointer: string;
  /** How a message names the declaration: `spec.dependsOn[0]`, `annotation bosun.dev/depends-on "ConfigMap/x"`. */
  readonly where: string;
}

/** A declaration the loader refuses before resolving anything (a malformed annotation entry). */
export interface DeclarationProblem {
  readonly pointer: string;
  readonly message: string;
}

export interface Declarations {
  readonly declarations: readonly DependencyDeclaration[];
  readonly problems: readonly DeclarationProblem[];
}

/** JSON pointer of the annotation in a document. */
export const ANNOTATION_POINTER = `/metadata/annotations/${DEPENDS_ON_ANNOTATION.replace("/", "~1")}`;

function record(value: unknown): Json | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** Whether `spec.dependsOn` is Bosun's on this kind: its schema declares it. */
export function declaresDependsOn(kinds: KindSchemas, apiVersion: string, kind: string): boolean {
  const spec = record(record(kinds.get(apiVersion, kind)?.schema?.["properties"])?.["spec"]);
  return record(spec?.["properties"])?.["dependsOn"] !== undefined;
}

function specDeclarations(body: Readonly<Json>): DependencyDeclaration[] {
  const entries = record(body["spec"])?.["dependsOn"];
  if (!Array.isArray(entries)) return [];
  const out: DependencyDeclaration[] = [];
  entries.forEach((entry: unknown, i) => {
    const e = record(entry);
    const kind = optionalString(e?.["kind"]);
    const name = optionalString(e?.["name"]);
    if (kind === undefined || name === undefined) return; // the schema reports it
    const apiVersion = optionalString(e?.["apiVersion"]);
    const namespace = optionalString(e?.["namespace"]);
    out.push({
      kind,
      name,
      pointer: `/spec/dependsOn/${i}`,
      where: `spec.dependsOn[${i}]`,
      ...(apiVersion === undefined ? {} : { apiVersion }),
      ...(namespace === undefined ? {} : { namespace }),
    });
  });
  return out;
}

function annotationDeclarations(body: Readonly<Json>): Declarations {
  const annotations = record(record(body["metadata"])?.["annotations"]);
  if (annotations === undefined || !(DEPENDS_ON_ANNOTATION in annotations)) return { declarations: [], problems: [] };
  const value = annotations[DEPENDS_ON_ANNOTATION];
  const pointer = ANNOTATION_POINTER;
  if (typeof value !== "string") {
    return {
      declarations: [],
      problems: [{ pointer, message: `annotation ${DEPENDS_ON_ANNOTATION} must be a string (quote it)` }],
    };
  }
  const parsed = parseDependsOnAnnotation(value);
  return {
    declarations: parsed.entries.map((e) => ({
      kind: e.kind,
      name: e.name,
      pointer,
      where: `annotation ${DEPENDS_ON_ANNOTATION} "${e.text}"`,
      ...(e.namespace === undefined ? {} : { namespace: e.namespace }),
    })),
    problems: parsed.problems.map((p) => ({ pointer, message: `annotation ${DEPENDS_ON_ANNOTATION}: ${p}` })),
  };
}

/**
 * Every dependency an object declares: its `spec.dependsOn` entries (on kinds whose schema declares
 * the field), then the entries of its `bosun.dev/depends-on` annotation, each in written order.
 */
export function declaredDependencies(object: FleetObject, kinds: KindSchemas): Declarations {
  const spec = declaresDependsOn(kinds, object.apiVersion, object.kind) ? specDeclarations(object.body) : [];
  const annotation = annotationDeclarations(object.body);
  return { declarations: [...spec, ...annotation.declarations], problems: annotation.problems };
}
