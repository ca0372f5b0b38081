import type { ValidateFunction } from "ajv";

/** A kind schema's validator generated at build time, with the schema text it was generated from. */
export interface PrecompiledValidator {
  /** JSON.stringify of the schema: used only when the registered schema is still exactly this one. */
  readonly schemaJson: string;
  readonly validate: ValidateFunction;
}

/**
 * Validators of the built-in kind schemas, by `$id`. Empty in the sources (tsx compiles schemas at
 * run time); `npm run build` (bench/scale/build.mjs) generates them with ajv's standalone code
 * (scripts/precompile-validators.mjs) and bundles the generated module in place of this one.
 */
export const precompiledValidators: ReadonlyMap<string, PrecompiledValidator> = new Map();
