/** The annotation that declares dependencies on any object, plain Kubernetes manifests included. */
export const DEPENDS_ON_ANNOTATION = "bosun.dev/depends-on";

/** One entry of the annotation: `Kind/name` or `Kind/namespace/name`. */
export interface AnnotationEntry {
  readonly kind: string;
  /** Absent: the depending object's namespace when the dependency is namespaced. */
  readonly namespace?: string;
  readonly name: string;
  /** The entry as written, for messages. */
  readonly text: string;
}

export interface ParsedAnnotation {
  readonly entries: readonly AnnotationEntry[];
  /** Why each malformed entry was refused, one sentence per entry. */
  readonly problems: readonly string[];
}

const KIND = /^[A-Za-z][A-Za-z0-9]*$/;
const SEGMENT = /^[^\s/,]+$/;
const EXAMPLE = `"TenantCluster/tenants/acme, ConfigMap/settings"`;

function problemOf(text: string, segments: readonly string[]): string | undefined {
  if (segments.length >= 4) {
    return (
      `"${text}" has ${segments.length} parts; the annotation takes no apiVersion (Kind/namespace/name is unique ` +
      "in a commit): write Kind/name or Kind/namespace/name"
    );
  }
  if (segments.length < 2) return `"${text}" is not Kind/name or Kind/namespace/name; write e.g. ${EXAMPLE}`;
  if (!segments.every((s) => SEGMENT.test(s)))
    return `"${text}" has an empty part or whitespace inside; write e.g. ${EXAMPLE}`;
  if (!KIND.test(segments[0] ?? "")) return `"${text}" does not start with a kind such as TenantCluster or ConfigMap`;
  return undefined;
}

/**
 * Parses `bosun.dev/depends-on`: a comma-separated list of `Kind/name` (namespace: the depending
 * object's, for namespaced kinds) or `Kind/namespace/name`. Whitespace around entries and empty
 * entries (a trailing comma) are ignored; every malformed entry is reported.
 */
export function parseDependsOnAnnotation(value: string): ParsedAnnotation {
  const entries: AnnotationEntry[] = [];
  const problems: string[] = [];
  for (const raw of value.split(",")) {
    const text = raw.trim();
    if (text === "") continue;
    const segments = text.split("/");
    const problem = problemOf(text, segments);
    if (problem !== undefined) problems.push(problem);
    else if (segments.length === 2) entries.push({ kind: segments[0] ?? "", name: segments[1] ?? "", text });
    else entries.push({ kind: segments[0] ?? "", namespace: segments[1] ?? "", name: segments[2] ?? "", text });
  }
  return { entries, problems };
}
