import { DiagnosticCode, type Diagnostic } from "../model/diagnostic.ts";
import { locate } from "./locate.ts";
import type { ParsedDocument } from "./parse-yaml.ts";

/** What a kind's own checks get: the document with positions, its subject and the repo's files. */
export interface CheckContext {
  readonly file: string;
  readonly parsed: ParsedDocument;
  /** `Kind namespace/name`, the start of every message. */
  readonly subject: string;
  /** Repo files by path, for references such as cluster templates. */
  readonly files: ReadonlyMap<string, Uint8Array>;
}

/** A diagnostic at a JSON pointer of the checked document. */
export function diagnosticAt(
  ctx: CheckContext,
  pointer: string,
  code: Diagnostic["code"],
  message: string,
): Diagnostic {
  const pos = locate(ctx.parsed, pointer);
  return { file: ctx.file, line: pos.line, col: pos.col, pointer, code, message: `${ctx.subject}: ${message}` };
}

function obj(v: unknown): Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** A label selector's expressions: In/NotIn need values; Exists/DoesNotExist take none (as Kubernetes requires). */
export function checkSelector(ctx: CheckContext, selector: unknown, pointer: string): Diagnostic[] {
  const exprs = obj(selector)["matchExpressions"];
  if (!Array.isArray(exprs)) return [];
  const out: Diagnostic[] = [];
  exprs.forEach((e, i) => {
    const op = obj(e)["operator"];
    const values = obj(e)["values"];
    const count = Array.isArray(values) ? values.length : 0;
    const p = `${pointer}/matchExpressions/${i}`;
    if ((op === "In" || op === "NotIn") && count === 0) {
      out.push(diagnosticAt(ctx, p, DiagnosticCode.InvalidValue, `selector operator ${op} needs at least one value`));
    }
    if ((op === "Exists" || op === "DoesNotExist") && count > 0) {
      out.push(
        diagnosticAt(ctx, `${p}/values`, DiagnosticCode.InvalidValue, `selector operator ${op} takes no values`),
      );
    }
  });
  return out;
}

/** A nested object of a document ({} when absent or not an object). */
export function field(value: unknown, ...path: string[]): Record<string, unknown> {
  let v = obj(value);
  for (const p of path) v = obj(v[p]);
  return v;
}
