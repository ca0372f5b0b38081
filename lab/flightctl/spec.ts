/**
 * The Flightctl OpenAPI document (`../shared/specs/flightctl/openapi.yaml`) as JSON Schema
 * validators: the lab validates request bodies with them, the contract tests validate the client's
 * requests and the lab's answers. OpenAPI's `discriminator` is honoured (the mapped schema for the
 * property's value), as an OpenAPI validator does; ajv alone would see the `oneOf` as ambiguous.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { parse } from "yaml";

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** The spec beside the repo (`../shared/specs`), or under BOSUN_SPECS_DIR. */
export const FLIGHTCTL_SPEC_PATH = process.env["BOSUN_SPECS_DIR"]
  ? join(process.env["BOSUN_SPECS_DIR"], "flightctl", "openapi.yaml")
  : fileURLToPath(new URL("../../../shared/specs/flightctl/openapi.yaml", import.meta.url));

type Json = Record<string, unknown>;

/** `{oneOf, discriminator: {propertyName, mapping}}` → the mapped schema chosen by the property's value. */
function honourDiscriminators(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(honourDiscriminators);
  if (node === null || typeof node !== "object") return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) out[k] = honourDiscriminators(v);
  const d = out["discriminator"] as { propertyName?: string; mapping?: Record<string, string> } | undefined;
  if (d?.propertyName && d.mapping && Array.isArray(out["oneOf"])) {
    const prop = d.propertyName;
    const values = Object.keys(d.mapping);
    delete out["oneOf"];
    delete out["discriminator"];
    out["required"] = [...new Set([...((out["required"] as string[]) ?? []), prop])];
    out["properties"] = { ...((out["properties"] as Json) ?? {}), [prop]: { enum: values } };
    out["allOf"] = [
      ...((out["allOf"] as unknown[]) ?? []),
      ...values.map((v) => ({ if: { properties: { [prop]: { const: v } } }, then: { $ref: d.mapping![v] } })),
    ];
  }
  return out;
}

export interface SpecValidator {
  /** Problems of `value` against `#/components/schemas/<name>` (empty: valid), as `path: message`. */
  validate(schema: string, value: unknown): string[];
}

let shared: SpecValidator | undefined;

/** Validators of the spec's component schemas (compiled once per schema, on first use). */
export function flightctlSpec(): SpecValidator {
  if (shared) return shared;
  const doc = parse(readFileSync(FLIGHTCTL_SPEC_PATH, "utf8")) as { components: Json };
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  ajv.addSchema({ components: honourDiscriminators(doc.components) }, "flightctl");
  const compiled = new Map<string, ValidateFunction>();
  shared = {
    validate(schema, value) {
      let v = compiled.get(schema);
      if (!v) {
        v = ajv.compile({ $ref: `flightctl#/components/schemas/${schema}` });
        compiled.set(schema, v);
      }
      if (v(value)) return [];
      return (v.errors ?? [])
        .filter((e) => e.keyword !== "if")
        .map(
          (e) =>
            `${e.instancePath || "/"}: ${e.message ?? "invalid"}${e.params && "allowedValues" in e.params ? ` (${(e.params.allowedValues as unknown[]).join(", ")})` : ""}`,
        );
    },
  };
  return shared;
}
