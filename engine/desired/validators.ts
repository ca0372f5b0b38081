import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import common from "../../schemas/common.json" with { type: "json" };
import type { KindRegistration } from "../kinds/registration.ts";
import { precompiledValidators } from "./precompiled-validators.ts";

/**
 * Bosun's own kinds: strict schemas, defaults applied, every error collected. `code` is for the
 * build, which generates the validators' standalone source (scripts/precompile-validators.mjs).
 */
export function createBosunAjv(code?: { source: true; esm: true }): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    useDefaults: true,
    verbose: true,
    strict: true,
    strictRequired: false,
    allowUnionTypes: true,
    ...(code ? { code } : {}),
  });
  ajv.addKeyword({ keyword: "x-message", schemaType: "string" });
  ajv.addKeyword({ keyword: "x-bosun", schemaType: "object" });
  ajv.addSchema(common);
  return ajv;
}

let bosunAjv: Ajv | undefined;
const compiled = new WeakMap<object, ValidateFunction>();

/** The build's precompiled validator of this exact schema (none in the sources), else undefined. */
function precompiled(schema: Record<string, unknown>): ValidateFunction | undefined {
  const id = schema["$id"];
  const entry = typeof id === "string" ? precompiledValidators.get(id) : undefined;
  return entry && entry.schemaJson === JSON.stringify(schema) ? entry.validate : undefined;
}

/**
 * The validator of a registered kind's schema, or undefined: the build's precompiled one when the
 * schema is the one it was built from, else compiled at run time (once per process, on first use).
 */
export function kindValidator(kind: KindRegistration | undefined): ValidateFunction | undefined {
  const schema = kind?.schema;
  if (!schema) return undefined;
  let fn = compiled.get(schema);
  if (!fn) compiled.set(schema, (fn = precompiled(schema) ?? (bosunAjv ??= createBosunAjv()).compile(schema)));
  return fn;
}

/**
 * Validators for kinds defined by CustomResourceDefinitions in the fleet repo: Kubernetes'
 * OpenAPI v3 dialect (x-kubernetes-* extensions, int-or-string, Kubernetes formats).
 */
function createCrdAjv(): Ajv {
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
  return crdAjv;
}
let crdAjv: Ajv | undefined;

export function compileCrdSchema(schema: Record<string, unknown>): ValidateFunction {
  return (crdAjv ??= createCrdAjv()).compile(schema);
}

export type { ErrorObject, ValidateFunction };
