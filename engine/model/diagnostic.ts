/**
 * Every reason the loader can reject a fleet commit. Stable strings: tests, JSON output
 * and status files key on them.
 */
export const DiagnosticCode = {
  YamlSyntax: "YAML_SYNTAX",
  DuplicateKey: "DUPLICATE_KEY",
  AliasLimit: "ALIAS_LIMIT",
  NotAMapping: "NOT_A_MAPPING",
  NotUtf8: "NOT_UTF8",
  FileTooLarge: "FILE_TOO_LARGE",
  SymlinkEscape: "SYMLINK_ESCAPE",
  MissingApiVersion: "MISSING_API_VERSION",
  MissingKind: "MISSING_KIND",
  MissingName: "MISSING_NAME",
  EmptyName: "EMPTY_NAME",
  InvalidName: "INVALID_NAME",
  UnknownKind: "UNKNOWN_KIND",
  UnknownField: "UNKNOWN_FIELD",
  MissingField: "MISSING_FIELD",
  WrongType: "WRONG_TYPE",
  InvalidEnum: "INVALID_ENUM",
  InvalidPattern: "INVALID_PATTERN",
  InvalidFormat: "INVALID_FORMAT",
  OutOfRange: "OUT_OF_RANGE",
  InvalidValue: "INVALID_VALUE",
  DuplicateObject: "DUPLICATE_OBJECT",
  DuplicateWave: "DUPLICATE_WAVE",
  WaveOrder: "WAVE_ORDER",
  TemplateNotFound: "TEMPLATE_NOT_FOUND",
  MissingVariable: "MISSING_VARIABLE",
  InvalidConfig: "INVALID_CONFIG",
  CredentialInConfig: "CREDENTIAL_IN_CONFIG",
  InvalidCrd: "INVALID_CRD",
  /** A `spec.dependsOn` entry or `bosun.dev/depends-on` names no object of the commit. */
  UnknownDependency: "UNKNOWN_DEPENDENCY",
  /** Objects that depend on each other (or on themselves): none could become Ready first. */
  DependencyCycle: "DEPENDENCY_CYCLE",
} as const;
export type DiagnosticCode = (typeof DiagnosticCode)[keyof typeof DiagnosticCode];

/** One reason a fleet commit is rejected, pointing at the exact place. */
export interface Diagnostic {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** JSON pointer into the document (`/spec/artifact/url`), `""` for the whole document. */
  readonly pointer: string;
  readonly code: DiagnosticCode;
  readonly message: string;
}

/** `path:line:col: CODE message`, the shape editors and CI annotators understand. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.code} ${d.message}`;
}

/** Deterministic order: file, line, column, code. */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  return a.file < b.file
    ? -1
    : a.file > b.file
      ? 1
      : a.line - b.line || a.col - b.col || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);
}
