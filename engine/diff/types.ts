/** Plain JSON as it comes from YAML or the API server. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** One entry of `metadata.managedFields` (FieldsV1 format). */
export interface ManagedFields {
  readonly manager?: string;
  readonly operation?: string;
  readonly subresource?: string;
  readonly fieldsType?: string;
  readonly fieldsV1?: JsonObject;
}

/** Bosun's field manager name for server-side apply. */
export const FIELD_MANAGER = "bosun";
/** Label Bosun stamps on everything it applies; prune touches only objects carrying it. */
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY_VALUE = "bosun";
/** Annotation with the digest of the desired body Bosun last applied (tells Git changes from drift). */
export const DIGEST_ANNOTATION = "bosun.dev/desired-digest";
/** Per-object self-heal override: "true" | "false". */
export const SELF_HEAL_ANNOTATION = "bosun.dev/self-heal";

/**
 * Why a field differs:
 * - `changed`: live holds another value;
 * - `missing`: desired sets it, live lacks it;
 * - `removed`: Bosun still owns it in live but it is no longer desired (the next apply drops it).
 */
export type FieldDiffKind = "changed" | "missing" | "removed";

export interface FieldDiff {
  /** JSON pointer into the object, e.g. `/spec/replicas`, `/spec/template/spec/containers/0/image`. */
  readonly pointer: string;
  readonly kind: FieldDiffKind;
  readonly desired?: Json;
  readonly live?: Json;
  /** Managers that own the live value at this pointer (from managedFields); [] when none. */
  readonly owners: readonly string[];
}

/**
 * - `missing`: the object does not exist;
 * - `in-sync`: nothing Bosun manages differs;
 * - `changed`: the desired body changed since Bosun last applied it (a Git change): apply it;
 * - `drifted`: the desired body is what Bosun last applied but live differs (an out-of-band edit).
 */
export type DiffState = "missing" | "in-sync" | "changed" | "drifted";

export interface ObjectDiff {
  readonly state: DiffState;
  /** Sorted by pointer. Empty for `in-sync` and `missing`. */
  readonly fields: readonly FieldDiff[];
}

/** Ignore rules: JSON pointers (a pointer ignores its whole subtree) per kind (`*` = every kind). */
export type IgnoreRules = Readonly<Record<string, readonly string[]>>;

export interface DiffOptions {
  readonly ignore?: IgnoreRules;
  /**
   * Differences in fields these managers own in live are not differences (Argo CD's
   * `managedFieldsManagers`: e.g. an autoscaler that owns `/spec/replicas`).
   */
  readonly ignoreManagers?: readonly string[];
  readonly fieldManager?: string;
}
