import { DiagnosticCode, type Diagnostic } from "../model/diagnostic.ts";
import { kindId } from "../kinds/kind-registry.ts";
import type { ParsedDocument } from "./parse-yaml.ts";
import { compileCrdSchema, type ValidateFunction } from "./validators.ts";

/** A custom kind defined by a CustomResourceDefinition found in the fleet repo. */
export interface CrdKind {
  readonly namespaced: boolean;
  readonly validate: ValidateFunction | undefined;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Kubernetes prunes unknown fields silently; Bosun reports them instead (like
 * `kubectl --validate=strict`), except where the schema preserves unknown fields.
 */
export function strictify(schema: unknown, atRoot = true): unknown {
  if (Array.isArray(schema)) return schema.map((s) => strictify(s, false));
  if (!isObject(schema)) return schema;
  const out: Json = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === "properties" && isObject(v)) {
      out[k] = Object.fromEntries(
        Object.entries(v).map(([name, sub]) => [name, atRoot && name === "metadata" ? sub : strictify(sub, false)]),
      );
    } else if (
      k === "items" ||
      k === "additionalProperties" ||
      k === "allOf" ||
      k === "anyOf" ||
      k === "oneOf" ||
      k === "not"
    ) {
      out[k] = strictify(v, false);
    } else {
      out[k] = v;
    }
  }
  if (atRoot && isObject(out["properties"])) {
    // Every object carries these even when the CRD's schema leaves them out.
    out["properties"] = {
      apiVersion: { type: "string" },
      kind: { type: "string" },
      metadata: { type: "object" },
      ...out["properties"],
    };
  }
  if (
    isObject(out["properties"]) &&
    out["additionalProperties"] === undefined &&
    out["x-kubernetes-preserve-unknown-fields"] !== true
  ) {
    out["additionalProperties"] = false;
  }
  return out;
}

/** Reads the CRDs among the parsed documents into validators keyed by `apiVersion|kind`. */
export function collectCrdKinds(docs: ReadonlyArray<{ parsed: ParsedDocument; file: string }>): {
  kinds: Map<string, CrdKind>;
  diagnostics: Diagnostic[];
} {
  const kinds = new Map<string, CrdKind>();
  const diagnostics: Diagnostic[] = [];
  for (const { parsed, file } of docs) {
    const v = parsed.value;
    if (v["apiVersion"] !== "apiextensions.k8s.io/v1" || v["kind"] !== "CustomResourceDefinition") continue;
    const spec = isObject(v["spec"]) ? v["spec"] : {};
    const names = isObject(spec["names"]) ? spec["names"] : {};
    const group = spec["group"];
    const kind = names["kind"];
    const versions = Array.isArray(spec["versions"]) ? spec["versions"] : [];
    if (typeof group !== "string" || typeof kind !== "string" || versions.length === 0) {
      diagnostics.push({
        file,
        line: parsed.line,
        col: parsed.col,
        pointer: "/spec",
        code: DiagnosticCode.InvalidCrd,
        message: "CustomResourceDefinition: spec.group, spec.names.kind and spec.versions are required",
      });
      continue;
    }
    for (const version of versions) {
      if (!isObject(version) || typeof version["name"] !== "string") continue;
      const schema = isObject(version["schema"]) ? version["schema"]["openAPIV3Schema"] : undefined;
      let validate: ValidateFunction | undefined;
      if (isObject(schema)) {
        try {
          validate = compileCrdSchema(strictify(schema) as Json);
        } catch (cause) {
          diagnostics.push({
            file,
            line: parsed.line,
            col: parsed.col,
            pointer: "/spec/versions",
            code: DiagnosticCode.InvalidCrd,
            message: `CustomResourceDefinition ${String(v["metadata"] && (v["metadata"] as Json)["name"])}: openAPIV3Schema of ${version["name"]} does not compile: ${(cause as Error).message}`,
          });
        }
      }
      kinds.set(kindId(`${group}/${version["name"]}`, kind), { namespaced: spec["scope"] !== "Cluster", validate });
    }
  }
  return { kinds, diagnostics };
}
