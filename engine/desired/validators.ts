import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import common from "../../schemas/common.json" with { type: "json" };
import type { KindRegistration } from "../kinds/registration.ts";

/** Bosun's own kinds: strict schemas, defaults applied, every error collected. */
const bosunAjv = new Ajv({
  allErrors: true,
  useDefaults: true,
  verbose: true,
  strict: true,
  strictRequired: false,
  allowUnionTypes: true,
});
bosunAjv.addKeyword({ keyword: "x-message", schemaType: "string" });
bosunAjv.addKeyword({ keyword: "x-bosun", schemaType: "object" });
bosunAjv.addSchema(common);

const compiled = new WeakMap<object, ValidateFunction>();

/** The compiled validator of a registered kind's schema (compiled once per process), or undefined. */
export function kindValidator(kind: KindRegistration | undefined): ValidateFunction | undefined {
  const schema = kind?.schema;
  if (!schema) return undefined;
  let fn = compiled.get(schema);
  if (!fn) compiled.set(schema, (fn = bosunAjv.compile(schema)));
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
for (const keyword of [
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-embedded-resource",
  "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-map-type",
  "x-kubernetes-validations",
]) {
  crdAjv.addKeyword({ keyword });
}

export function compileCrdSchema(schema: Record<string, unknown>): ValidateFunction {
  return crdAjv.compile(schema);
}

export type { ErrorObject, ValidateFunction };
