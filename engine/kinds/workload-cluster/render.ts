/**
 * Renders a WorkloadCluster's clusterctl template into the Cluster API objects it declares (pure).
 * Substitution keeps every line where it was, so each rendered object and each field of it keeps
 * its `file:line` in the template for messages.
 */
import { parseYamlFile, type ParsedDocument } from "../../desired/parse-yaml.ts";
import { DiagnosticCode, type Diagnostic } from "../../model/diagnostic.ts";
import type { FleetObject } from "../../model/fleet-object.ts";
import type { JsonObject } from "../../model/object-ref.ts";
import { Labels, MANAGER } from "../../model/device.ts";
import { BUILTIN_VARIABLES, substitute, templateVariables } from "./template-variables.ts";

/** Every rendered object carries this label: `<namespace>.<name>` of its WorkloadCluster. */
export const WORKLOAD_CLUSTER_LABEL = "bosun.dev/workload-cluster";

/** One object of a rendered template, with where it came from. */
export interface RenderedObject {
  readonly object: JsonObject;
  /** Template path and the 1-based position of the document. */
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** The parsed document (positions of each field, for validation messages). */
  readonly parsed: ParsedDocument;
}

export type RenderResult =
  | { readonly ok: true; readonly objects: readonly RenderedObject[] }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

/** `WorkloadCluster ns/name (file:line)`: how every message about a cluster starts. */
export function clusterSubject(wc: FleetObject): string {
  return `WorkloadCluster ${wc.namespace}/${wc.name} (${wc.source.file}:${wc.source.line})`;
}

/** The label value naming a WorkloadCluster (`<namespace>.<name>`). */
export function clusterLabelValue(wc: { namespace: string; name: string }): string {
  return `${wc.namespace}.${wc.name}`;
}

/** The values a template is rendered with: spec.variables (numbers as text), NAMESPACE and CLUSTER_NAME. */
export function variableValues(wc: FleetObject): Record<string, string> {
  const spec = (wc.body["spec"] ?? {}) as JsonObject;
  const given = (spec["variables"] ?? {}) as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(given)) out[k] = String(v);
  out["NAMESPACE"] = wc.namespace;
  out["CLUSTER_NAME"] = wc.name;
  return out;
}

/** The 1-based line of the first use of `${name…}` in the template (for messages). */
function lineOfVariable(text: string, name: string): number {
  const at = text.search(new RegExp(`\\$\\{${name}(?::=[^}]*)?\\}`));
  return at < 0 ? 1 : text.slice(0, at).split("\n").length;
}

/**
 * Renders the template text for a WorkloadCluster: `${VAR}`/`${VAR:=default}` substituted, every
 * object forced into the cluster's namespace (as `clusterctl generate --target-namespace` does) and
 * labelled as Bosun's. Problems (an undefined variable, a value with a line break, YAML that no longer
 * parses, a document without apiVersion/kind/name) come back with the template's file:line, nothing rendered.
 */
export function renderTemplate(wc: FleetObject, templatePath: string, text: string): RenderResult {
  const subject = clusterSubject(wc);
  const values = variableValues(wc);
  const diagnostics: Diagnostic[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (/[\r\n]/.test(value)) {
      diagnostics.push({
        file: wc.source.file,
        line: wc.source.line,
        col: wc.source.col,
        pointer: `/spec/variables/${name}`,
        code: DiagnosticCode.InvalidValue,
        message: `${subject}: variable ${name} holds a line break; a template variable must be one line`,
      });
    }
  }
  const { text: rendered, missing } = substitute(text, values);
  for (const name of missing) {
    const line = lineOfVariable(text, name);
    diagnostics.push({
      file: templatePath,
      line,
      col: 1,
      pointer: "",
      code: DiagnosticCode.MissingVariable,
      message: `${subject}: template variable ${name} (${templatePath}:${line}) has no value and no default; set it under spec.variables`,
    });
  }
  if (diagnostics.length > 0) return { ok: false, diagnostics };

  const parsed = parseYamlFile(templatePath, new TextEncoder().encode(rendered));
  if (parsed.diagnostics.length > 0) {
    return {
      ok: false,
      diagnostics: parsed.diagnostics.map((d) => ({ ...d, message: `${subject}: rendered template: ${d.message}` })),
    };
  }
  const objects: RenderedObject[] = [];
  for (const doc of parsed.documents) {
    const value = doc.value;
    const meta = (value["metadata"] ?? {}) as JsonObject;
    const name = meta["name"];
    if (typeof value["apiVersion"] !== "string" || typeof value["kind"] !== "string" || typeof name !== "string") {
      diagnostics.push({
        file: templatePath,
        line: doc.line,
        col: doc.col,
        pointer: "",
        code: DiagnosticCode.MissingField,
        message: `${subject}: a rendered document needs apiVersion, kind and metadata.name`,
      });
      continue;
    }
    const object = structuredClone(value) as JsonObject;
    const metadata = object["metadata"] as JsonObject;
    metadata["namespace"] = wc.namespace;
    metadata["labels"] = {
      ...((metadata["labels"] ?? {}) as Record<string, string>),
      [Labels.managedBy]: MANAGER,
      [WORKLOAD_CLUSTER_LABEL]: clusterLabelValue(wc),
    };
    objects.push({ object, file: templatePath, line: doc.line, col: doc.col, parsed: doc });
  }
  if (diagnostics.length > 0) return { ok: false, diagnostics };
  const seen = new Map<string, RenderedObject>();
  for (const o of objects) {
    const key = `${String(o.object["apiVersion"])}|${String(o.object["kind"])}|${nameOf(o.object)}`;
    const prior = seen.get(key);
    if (prior) {
      diagnostics.push({
        file: templatePath,
        line: o.line,
        col: o.col,
        pointer: "",
        code: DiagnosticCode.DuplicateObject,
        message: `${subject}: rendered ${String(o.object["kind"])} ${nameOf(o.object)} twice (${templatePath}:${prior.line} and :${o.line})`,
      });
    }
    seen.set(key, o);
  }
  return diagnostics.length > 0 ? { ok: false, diagnostics } : { ok: true, objects };
}

function nameOf(o: JsonObject): string {
  return String((o["metadata"] as JsonObject)["name"]);
}

/** Variables the template uses that are neither given nor defaulted nor built in (the loader's check). */
export function undefinedVariables(wc: FleetObject | JsonObject, text: string): string[] {
  const body = "body" in wc ? (wc as FleetObject).body : wc;
  const given = ((body["spec"] as JsonObject | undefined)?.["variables"] ?? {}) as Record<string, unknown>;
  const builtin: readonly string[] = BUILTIN_VARIABLES;
  return templateVariables(text)
    .filter((v) => v.default === undefined && given[v.name] === undefined && !builtin.includes(v.name))
    .map((v) => v.name);
}
