import type { Diagnostic } from "../model/diagnostic.ts";
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
export function diagnosticAt(ctx: CheckContext, pointer: string, code: Diagnostic["code"], message: string): Diagnostic {
  const pos = locate(ctx.parsed, pointer);
  return { file: ctx.file, line: pos.line, col: pos.col, pointer, code, message: `${ctx.subject}: ${message}` };
}
