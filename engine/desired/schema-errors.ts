import type { ErrorObject } from "ajv";
import { DiagnosticCode, type Diagnostic } from "../model/diagnostic.ts";
import { dottedPath, locate } from "./locate.ts";
import type { ParsedDocument } from "./parse-yaml.ts";

const codeByKeyword: Record<string, DiagnosticCode> = {
  required: DiagnosticCode.MissingField,
  additionalProperties: DiagnosticCode.UnknownField,
  type: DiagnosticCode.WrongType,
  enum: DiagnosticCode.InvalidEnum,
  const: DiagnosticCode.InvalidEnum,
  pattern: DiagnosticCode.InvalidPattern,
  format: DiagnosticCode.InvalidFormat,
  propertyNames: DiagnosticCode.InvalidPattern,
  minimum: DiagnosticCode.OutOfRange,
  maximum: DiagnosticCode.OutOfRange,
  exclusiveMinimum: DiagnosticCode.OutOfRange,
  exclusiveMaximum: DiagnosticCode.OutOfRange,
  minLength: DiagnosticCode.OutOfRange,
  maxLength: DiagnosticCode.OutOfRange,
  minItems: DiagnosticCode.OutOfRange,
  maxItems: DiagnosticCode.OutOfRange,
};

/** Drops the errors of the branches of a failed anyOf/oneOf: the combinator's own error explains it. */
function withoutBranchNoise(errors: readonly ErrorObject[]): ErrorObject[] {
  const combinators = errors
    .filter((e) => e.keyword === "anyOf" || e.keyword === "oneOf")
    .map((e) => `${e.schemaPath}/`);
  const kept = errors.filter((e) => !combinators.some((prefix) => e.schemaPath.startsWith(prefix)));
  // propertyNames reports once for the name and once for the map: keep the specific one.
  return kept.filter(
    (e) =>
      !(
        e.keyword === "propertyNames" &&
        kept.some((o) => o !== e && o.propertyName !== undefined && o.keyword === "pattern")
      ),
  );
}

function xMessage(e: ErrorObject): string | undefined {
  const parent = e.parentSchema as Record<string, unknown> | undefined;
  const message = parent?.["x-message"];
  return typeof message === "string" ? message : undefined;
}

function describe(e: ErrorObject): { pointer: string; text: string } {
  const at = dottedPath(e.instancePath);
  const subject = at === "" ? "the document" : at;
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "required": {
      const missing = String(params["missingProperty"]);
      const field = at === "" ? missing : `${at}.${missing}`;
      return { pointer: e.instancePath, text: `${field} is required` };
    }
    case "additionalProperties": {
      const extra = String(params["additionalProperty"]);
      const field = at === "" ? extra : `${at}.${extra}`;
      return {
        pointer: `${e.instancePath}/${extra.replace(/~/g, "~0").replace(/\//g, "~1")}`,
        text: `${field} is not a known field (check the spelling; see schemas/)`,
      };
    }
    case "enum":
      return {
        pointer: e.instancePath,
        text:
          `${subject} must be one of ${(params["allowedValues"] as unknown[]).map((v) => JSON.stringify(v)).join(", ")}` +
          (xMessage(e) ? ` (${xMessage(e)})` : ""),
      };
    case "const":
      return { pointer: e.instancePath, text: `${subject} must be ${JSON.stringify(params["allowedValue"])}` };
    case "type": {
      const quoteHint =
        params["type"] === "string" && typeof e.data !== "string"
          ? " (put the value in quotes: YAML read it as a number or boolean)"
          : "";
      return {
        pointer: e.instancePath,
        text: `${subject} must be ${String(params["type"]).replace(",", " or ")}${quoteHint}`,
      };
    }
    case "propertyNames":
      return {
        pointer: e.instancePath,
        text: `${subject} has an invalid key ${JSON.stringify(params["propertyName"])}`,
      };
    default: {
      if (e.propertyName !== undefined) {
        return {
          pointer: e.instancePath,
          text: `${subject} has an invalid key ${JSON.stringify(e.propertyName)}: ${xMessage(e) ?? e.message ?? "invalid"}`,
        };
      }
      const custom = xMessage(e);
      return { pointer: e.instancePath, text: `${subject} ${custom ?? e.message ?? "is invalid"}` };
    }
  }
}

/** Turns ajv errors into diagnostics with file:line:col, pointer, code and a plain message. */
export function schemaDiagnostics(
  errors: readonly ErrorObject[],
  parsed: ParsedDocument,
  file: string,
  subject: string,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const e of withoutBranchNoise(errors)) {
    const d = describe(e);
    const code = codeByKeyword[e.keyword] ?? DiagnosticCode.InvalidValue;
    const id = `${code}|${d.pointer}|${d.text}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const at = locate(parsed, d.pointer, true);
    out.push({ file, line: at.line, col: at.col, pointer: d.pointer, code, message: `${subject}: ${d.text}` });
  }
  return out;
}
