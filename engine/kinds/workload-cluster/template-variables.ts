/** `${VAR}` or `${VAR:=default}` as clusterctl writes them. */
const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::=([^}]*))?\}/g;

export interface TemplateVariable {
  readonly name: string;
  /** Present when the template gives a default with `${VAR:=default}`. */
  readonly default?: string;
}

/** Every variable a clusterctl template uses, in order of first use. */
export function templateVariables(text: string): TemplateVariable[] {
  const seen = new Map<string, TemplateVariable>();
  for (const m of text.matchAll(VARIABLE)) {
    const name = m[1] ?? "";
    const prior = seen.get(name);
    if (prior && prior.default !== undefined) continue;
    seen.set(name, m[2] === undefined ? { name } : { name, default: m[2] });
  }
  return [...seen.values()];
}

/** Variables Bosun provides itself from the WorkloadCluster's metadata. */
export const BUILTIN_VARIABLES = ["NAMESPACE", "CLUSTER_NAME"] as const;

/**
 * Replaces every `${VAR}` / `${VAR:=default}`; returns the names that had no value so the
 * caller can report them instead of rendering a broken manifest.
 */
export function substitute(
  text: string,
  values: Readonly<Record<string, string>>,
): { text: string; missing: string[] } {
  const missing = new Set<string>();
  const out = text.replace(VARIABLE, (_all, name: string, fallback: string | undefined) => {
    const value = values[name] ?? fallback;
    if (value === undefined) {
      missing.add(name);
      return "";
    }
    return value;
  });
  return { text: out, missing: [...missing].sort() };
}
