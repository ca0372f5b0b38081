import { compareFields } from "./compare.ts";
import { isObj, ownerRoots } from "./fields-v1.ts";
import { clusterScopedKind, normalizeSecret, withoutNamespace } from "./kube-semantics.ts";
import { normalizeObject } from "./normalize.ts";
import {
  DIGEST_ANNOTATION,
  FIELD_MANAGER,
  type DiffOptions,
  type JsonObject,
  type ManagedFields,
  type ObjectDiff,
} from "./types.ts";

function annotation(obj: JsonObject, key: string): string | undefined {
  const meta = obj["metadata"];
  if (!isObj(meta)) return undefined;
  const ann = meta["annotations"];
  const v = isObj(ann) ? ann[key] : undefined;
  return typeof v === "string" ? v : undefined;
}

/** The ignore pointers that apply to `kind` (its own plus `*`). */
export function ignoreFor(kind: string, opts: DiffOptions): string[] {
  return [...(opts.ignore?.["*"] ?? []), ...(opts.ignore?.[kind] ?? [])];
}

function hasNamespace(obj: JsonObject): boolean {
  const meta = obj["metadata"];
  return isObj(meta) && typeof meta["namespace"] === "string" && meta["namespace"] !== "";
}

/**
 * Diffs a prepared desired body (see prepareDesired) against the live object, with Kubernetes
 * semantics: server-populated metadata and status are dropped from both; a Secret's `stringData`
 * is read as the `data` the server stores; a namespace on a cluster-scoped object (a built-in
 * kind, or live has none) is not compared; quantities compare by value. Only what desired sets,
 * and what the field manager still owns and no longer desires (per owned key), is compared (field
 * ownership and list semantics from `metadata.managedFields`, FieldsV1).
 */
export function diffObject(desired: JsonObject, live: JsonObject | undefined, opts: DiffOptions = {}): ObjectDiff {
  if (live === undefined) return { state: "missing", fields: [] };
  const manager = opts.fieldManager ?? FIELD_MANAGER;
  const meta = live["metadata"];
  const managed =
    isObj(meta) && Array.isArray(meta["managedFields"]) ? (meta["managedFields"] as unknown as ManagedFields[]) : [];
  const kind = typeof desired["kind"] === "string" ? desired["kind"] : "";
  let d = normalizeObject(normalizeSecret(desired));
  delete d["apiVersion"];
  delete d["kind"];
  const l = normalizeObject(normalizeSecret(live));
  if (clusterScopedKind(desired["apiVersion"], kind) || !hasNamespace(l)) d = withoutNamespace(d);
  const fields = compareFields(d, l, ownerRoots(managed), ignoreFor(kind, opts), manager, opts.ignoreManagers);
  if (fields.length === 0) return { state: "in-sync", fields };
  const changed = annotation(desired, DIGEST_ANNOTATION) !== annotation(live, DIGEST_ANNOTATION);
  return { state: changed ? "changed" : "drifted", fields };
}
