import { compareFields } from "./compare.ts";
import { isObj, ownerRoots } from "./fields-v1.ts";
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

/**
 * Diffs a prepared desired body (see prepareDesired) against the live object. Server-populated
 * metadata and status are dropped from both; only what desired sets, and what Bosun still owns,
 * is compared (field ownership from `metadata.managedFields`, FieldsV1).
 */
export function diffObject(desired: JsonObject, live: JsonObject | undefined, opts: DiffOptions = {}): ObjectDiff {
  if (live === undefined) return { state: "missing", fields: [] };
  const manager = opts.fieldManager ?? FIELD_MANAGER;
  const meta = live["metadata"];
  const managed =
    isObj(meta) && Array.isArray(meta["managedFields"]) ? (meta["managedFields"] as unknown as ManagedFields[]) : [];
  const kind = typeof desired["kind"] === "string" ? desired["kind"] : "";
  const d = normalizeObject(desired);
  delete d["apiVersion"];
  delete d["kind"];
  const fields = compareFields(d, normalizeObject(live), ownerRoots(managed), ignoreFor(kind, opts), manager);
  if (fields.length === 0) return { state: "in-sync", fields };
  const changed = annotation(desired, DIGEST_ANNOTATION) !== annotation(live, DIGEST_ANNOTATION);
  return { state: changed ? "changed" : "drifted", fields };
}
