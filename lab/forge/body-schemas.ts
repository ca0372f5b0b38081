/**
 * Request bodies checked against the Gitea swagger subset (`../shared/specs/gitea/swagger-subset.json`,
 * read at run time, never copied): ajv compiles the definitions the write operations name.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";

export const SWAGGER_PATH = join(import.meta.dirname, "../../../shared/specs/gitea/swagger-subset.json");

interface Swagger {
  readonly paths: Record<
    string,
    Record<string, { operationId?: string; parameters?: { in: string; schema?: { $ref?: string } }[] }>
  >;
}

let compiled: Map<string, ValidateFunction> | undefined;

/** operationId → validator of its body parameter, for every operation of the subset that takes one. */
export function bodyValidators(): Map<string, ValidateFunction> {
  if (compiled) return compiled;
  const doc = JSON.parse(readFileSync(SWAGGER_PATH, "utf8")) as Swagger & Record<string, unknown>;
  // Swagger 2.0 definitions are JSON Schema draft 4 plus x- vendor keys and go-swagger formats.
  const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema({ definitions: doc["definitions"] as object }, "swagger");
  compiled = new Map();
  for (const ops of Object.values(doc.paths))
    for (const op of Object.values(ops)) {
      const ref = op.parameters?.find((p) => p.in === "body")?.schema?.$ref;
      if (!op.operationId || !ref) continue;
      compiled.set(op.operationId, ajv.compile({ $ref: `swagger${ref}` }));
    }
  return compiled;
}

/** Problems of `body` for `operationId` (empty when valid). */
export function bodyProblems(operationId: string, body: unknown): string[] {
  const validate = bodyValidators().get(operationId);
  if (!validate) return [];
  if (validate(body)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || "(body)"} ${e.message ?? "is invalid"}`);
}
