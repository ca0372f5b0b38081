import { DiagnosticCode, type Diagnostic } from "../model/diagnostic.ts";
import { objectRef, type FleetObject } from "../model/fleet-object.ts";
import type { CrdKind } from "./crd-schemas.ts";
import { kindId, type KindRegistry } from "../kinds/kind-registry.ts";
import { groupOf } from "../model/object-ref.ts";
import { builtinNamespaced } from "./kubernetes-kinds.ts";
import { locate } from "./locate.ts";
import { checkName } from "./names.ts";
import type { ParsedDocument } from "./parse-yaml.ts";
import { schemaDiagnostics } from "./schema-errors.ts";
import { kindValidator } from "./validators.ts";

type Json = Record<string, unknown>;

export interface DocumentContext {
  readonly file: string;
  readonly parsed: ParsedDocument;
  readonly defaultNamespace: string;
  readonly crdKinds: ReadonlyMap<string, CrdKind>;
  readonly files: ReadonlyMap<string, Uint8Array>;
  readonly kinds: KindRegistry;
}

export type DocumentResult =
  { ok: true; object: FleetObject; engineOnly: boolean } | { ok: false; diagnostics: Diagnostic[] };

function fail(ctx: DocumentContext, pointer: string, code: Diagnostic["code"], message: string): DocumentResult {
  const pos = locate(ctx.parsed, pointer, true);
  return { ok: false, diagnostics: [{ file: ctx.file, line: pos.line, col: pos.col, pointer, code, message }] };
}

/** Validates one YAML document into a FleetObject: identity, name, kind and schema. */
export function loadDocument(ctx: DocumentContext): DocumentResult {
  const value = structuredClone(ctx.parsed.value);
  const { apiVersion, kind } = value;
  if (typeof apiVersion !== "string" || apiVersion === "")
    return fail(
      ctx,
      "/apiVersion",
      DiagnosticCode.MissingApiVersion,
      "the document has no apiVersion; add e.g. apiVersion: azure.com/v1alpha1",
    );
  if (typeof kind !== "string" || kind === "")
    return fail(
      ctx,
      "/kind",
      DiagnosticCode.MissingKind,
      "the document has no kind; add e.g. kind: DeviceProcessDeployment",
    );
  const metadata = value["metadata"];
  const meta: Json =
    typeof metadata === "object" && metadata !== null && !Array.isArray(metadata) ? (metadata as Json) : {};
  if (meta["name"] === undefined || meta["name"] === null)
    return fail(ctx, "/metadata", DiagnosticCode.MissingName, `${kind}: metadata.name is required`);

  const bosun = ctx.kinds.get(apiVersion, kind);
  const crd = ctx.crdKinds.get(kindId(apiVersion, kind));
  const namespaced = bosun?.namespaced ?? crd?.namespaced ?? builtinNamespaced(apiVersion, kind);
  if (namespaced === undefined) {
    const hint = ctx.kinds.groups.has(groupOf(apiVersion))
      ? `is not a Bosun kind; known kinds: ${ctx.kinds.kindsOf(apiVersion).join(", ") || "none in this apiVersion"}`
      : "is not a built-in Kubernetes kind and no CustomResourceDefinition for it is in the repo; commit its CRD";
    return fail(ctx, "/kind", DiagnosticCode.UnknownKind, `${apiVersion} ${kind} ${hint}`);
  }

  const nameProblem = checkName(meta["name"], "name", kind === "Namespace");
  if (nameProblem) return fail(ctx, "/metadata/name", nameProblem.code, `${kind}: ${nameProblem.message}`);
  if (namespaced && meta["namespace"] !== undefined) {
    const nsProblem = checkName(meta["namespace"], "namespace", true);
    if (nsProblem)
      return fail(ctx, "/metadata/namespace", nsProblem.code, `${kind} ${String(meta["name"])}: ${nsProblem.message}`);
  }
  const name = String(meta["name"]);
  const namespace = namespaced
    ? typeof meta["namespace"] === "string"
      ? meta["namespace"]
      : ctx.defaultNamespace
    : "";
  const subject = objectRef({ kind, namespace, name });

  const validate = bosun ? kindValidator(bosun) : crd?.validate;
  if (validate && !validate(value)) {
    return { ok: false, diagnostics: schemaDiagnostics(validate.errors ?? [], ctx.parsed, ctx.file, subject) };
  }
  if (bosun?.check) {
    const problems = bosun.check(value, { file: ctx.file, parsed: ctx.parsed, subject, files: ctx.files });
    if (problems.length > 0) return { ok: false, diagnostics: problems };
  }
  if (namespaced) (value["metadata"] as Json)["namespace"] = namespace;
  const object: FleetObject = {
    apiVersion,
    kind,
    namespace,
    name,
    body: value,
    source: { file: ctx.file, line: ctx.parsed.line, col: ctx.parsed.col },
  };
  return { ok: true, object, engineOnly: bosun?.role === "engine-only" };
}
