/** Plain JSON object as fleet files, backends and the API server hand it over. */
export type JsonObject = Record<string, unknown>;

/** Identity of one object in any backend: apiVersion + kind + namespace ("" when cluster-scoped) + name. */
export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  /** "" for cluster-scoped objects. */
  readonly namespace: string;
  readonly name: string;
}

/** `apps/v1` → `apps`; `v1` → `` (the core group). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}

/** `group/Kind/namespace/name` (`core` for the empty group): version-independent identity. */
export function refKey(r: ObjectRef): string {
  return `${groupOf(r.apiVersion) || "core"}/${r.kind}/${r.namespace}/${r.name}`;
}

/** The identity of a plain object (`metadata.namespace` absent → ""). */
export function refOf(object: JsonObject): ObjectRef {
  const meta = (object["metadata"] ?? {}) as JsonObject;
  const namespace = meta["namespace"];
  return {
    apiVersion: String(object["apiVersion"]),
    kind: String(object["kind"]),
    namespace: typeof namespace === "string" ? namespace : "",
    name: String(meta["name"]),
  };
}

/** `Kind namespace/name` (or `Kind name`): how messages name an object. */
export function describeRef(r: { kind: string; namespace?: string; name: string }): string {
  return r.namespace ? `${r.kind} ${r.namespace}/${r.name}` : `${r.kind} ${r.name}`;
}
