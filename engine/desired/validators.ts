import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { bosunKinds, commonSchema, kindId } from "./kind-registry.ts";

/** Bosun's own kinds: strict schemas, defaults applied, every error collected. */
const bosunAjv = new Ajv({ allErrors: true, useDefaults: true, verbose: true, strict: true, strictRequired: false, allowUnionTypes: true });
bosunAjv.addKeyword({ keyword: "x-message", schemaType: "string" });
bosunAjv.addKeyword({ keyword: "x-bosun", schemaType: "object" });
bosunAjv.addSchema(commonSchema);

const compiled = new Map<string, ValidateFunction>();

/** The compiled validator of a Bosun kind (compiled once per process), or undefined. */
export function bosunValidator(apiVersion: string, kind: string): ValidateFunction | undefined {
  const id = kindId(apiVersion, kind);
  const cached = compiled.get(id);
  if (cached) return cached;
  const entry = bosunKinds.get(id);
  if (!entry) return undefined;
  const fn = bosunAjv.compile(entry.schema);
  compiled.set(id, fn);
  return fn;
}

/**
 * Validators for kinds defined by CustomResourceDefinitions in the fleet repo: Kubernetes'
 * OpenAPI v3 dialect (x-kubernetes-* extensions, int-or-string, Kubernetes formats).
 */
const crdAjv = new Ajv({ allErrors: true, verbose: true, strict: false, validateFormats: false, logger: false });
crdAjv.addKeyword({
  keyword: "x-kubernetes-int-or-string",
  schemaType: "boolean",
  validate: (enabled: boolean, data: unknown) => !enabled || typeof data === "string" || Number.isInteger(data),
  errors: false,
});
for (const keyword of ["x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource", "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys", "x-kubernetes-map-type", "x-kubernetes-validations"]) {
  crdAjv.addKeyword({ keyword });
}

export function compileCrdSchema(schema: Record<string, unknown>): ValidateFunction {
  return crdAjv.compile(schema);
}

export type { ErrorObject, ValidateFunction };
