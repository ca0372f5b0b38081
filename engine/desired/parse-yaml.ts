import { isMap, LineCounter, parseAllDocuments, type Document } from "yaml";
import { DiagnosticCode, type Diagnostic } from "../model/diagnostic.ts";

/** Aliases beyond this count in one document are treated as an alias bomb (billion laughs). */
export const MAX_ALIASES = 100;

export interface ParsedDocument {
  readonly doc: Document.Parsed;
  readonly value: Record<string, unknown>;
  /** 1-based position of the document's first node. */
  readonly line: number;
  readonly col: number;
  readonly lineCounter: LineCounter;
}

export interface ParsedFile {
  readonly documents: ParsedDocument[];
  readonly diagnostics: Diagnostic[];
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Decodes strict UTF-8; `undefined` when the bytes are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Position of the first invalid UTF-8 sequence, for the error message. */
function firstInvalidUtf8(bytes: Uint8Array): { line: number; col: number } {
  let line = 1;
  let col = 1;
  for (let i = 0; i < bytes.length; i++) {
    const probe = bytes.subarray(i, Math.min(bytes.length, i + 4));
    const b = bytes[i] ?? 0;
    if (b < 0x80) {
      if (b === 0x0a) {
        line++;
        col = 1;
      } else col++;
      continue;
    }
    const len = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 0;
    if (len === 0 || decodeUtf8(probe.subarray(0, len)) === undefined) return { line, col };
    i += len - 1;
    col++;
  }
  return { line, col };
}

/**
 * Parses a multi-document YAML (or JSON) file. Collects every syntax problem with its
 * position; skips empty documents; rejects non-mappings and alias bombs.
 */
export function parseYamlFile(path: string, bytes: Uint8Array): ParsedFile {
  const text = decodeUtf8(bytes);
  if (text === undefined) {
    const at = firstInvalidUtf8(bytes);
    return {
      documents: [],
      diagnostics: [
        {
          file: path,
          ...at,
          pointer: "",
          code: DiagnosticCode.NotUtf8,
          message: "the file is not valid UTF-8; save it as UTF-8",
        },
      ],
    };
  }
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true });
  const documents: ParsedDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  const list = Array.isArray(docs) ? docs : [];
  if (!Array.isArray(docs)) {
    // An empty stream: nothing to load, nothing wrong.
    return { documents, diagnostics };
  }
  for (const doc of list) {
    const bad = [...doc.errors];
    for (const error of bad) {
      const pos = lineCounter.linePos(error.pos[0]);
      const code = error.code === "DUPLICATE_KEY" ? DiagnosticCode.DuplicateKey : DiagnosticCode.YamlSyntax;
      const reason = error.message.split("\n")[0]?.replace(/ at line \d+, column \d+:?$/, "") ?? "invalid YAML";
      diagnostics.push({ file: path, line: pos.line, col: pos.col, pointer: "", code, message: reason });
    }
    if (bad.length > 0 || doc.contents === null) continue;
    const start = lineCounter.linePos(doc.contents.range?.[0] ?? 0);
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIASES });
    } catch (cause) {
      const message = cause instanceof Error ? cause.message : String(cause);
      const isAlias = /alias/i.test(message);
      diagnostics.push({
        file: path,
        line: start.line,
        col: start.col,
        pointer: "",
        code: isAlias ? DiagnosticCode.AliasLimit : DiagnosticCode.YamlSyntax,
        message: isAlias
          ? `the document expands more than ${MAX_ALIASES} aliases (possible alias bomb); remove the aliases`
          : message,
      });
      continue;
    }
    if (value === null || value === undefined) continue;
    if (!isMap(doc.contents) || typeof value !== "object" || Array.isArray(value)) {
      diagnostics.push({
        file: path,
        line: start.line,
        col: start.col,
        pointer: "",
        code: DiagnosticCode.NotAMapping,
        message: "a fleet document must be a mapping with apiVersion, kind and metadata",
      });
      continue;
    }
    documents.push({ doc, value: value as Record<string, unknown>, line: start.line, col: start.col, lineCounter });
  }
  return { documents, diagnostics };
}
