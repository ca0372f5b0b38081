import { createHash } from "node:crypto";
import { isObj } from "./fields-v1.ts";
import { clusterScopedKind, normalizeSecret, quantityStrings, withoutNamespace } from "./kube-semantics.ts";
import { DIGEST_ANNOTATION, MANAGED_BY_LABEL, MANAGED_BY_VALUE, type Json, type JsonObject } from "./types.ts";

/** metadata fields the server fills in; never compared, never applied. */
export const SERVER_METADATA = [
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "managedFields",
  "selfLink",
] as const;

/** Drops server-populated metadata and `status`; keeps everything a client can set. */
export function normalizeObject(obj: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === "status") continue;
    if (k === "metadata" && isObj(v)) {
      const meta: JsonObject = {};
      for (const [mk, mv] of Object.entries(v)) {
        if ((SERVER_METADATA as readonly string[]).includes(mk)) continue;
        meta[mk] = mv;
      }
      out[k] = meta;
    } else {
      out[k] = v;
    }
  }
  return out;
}

function sortKeys(_key: string, v: unknown): unknown {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return v;
  const keys = Object.keys(v);
  let sorted = true;
  for (let i = 1; i < keys.length; i++)
    if ((keys[i - 1] as string) > (keys[i] as string)) {
      sorted = false;
      break;
    }
  if (sorted) return v;
  const out: Record<string, unknown> = {};
  for (const k of keys.sort()) out[k] = (v as Record<string, unknown>)[k];
  return out;
}

/** JSON with object keys sorted: the same value always gives the same text. */
export function canonicalJson(v: Json | undefined): string {
  return v === undefined ? "null" : JSON.stringify(v, sortKeys);
}

/** sha256 (hex, first 32 chars) of the normalized desired body, without the digest annotation itself. */
export function desiredDigest(obj: JsonObject): string {
  const n = normalizeObject(obj);
  const meta = isObj(n["metadata"]) ? { ...n["metadata"] } : {};
  if (isObj(meta["annotations"])) {
    const ann = { ...meta["annotations"] };
    delete ann[DIGEST_ANNOTATION];
    meta["annotations"] = ann;
  }
  return createHash("sha256")
    .update(canonicalJson({ ...n, metadata: meta }))
    .digest("hex")
    .slice(0, 32);
}

/**
 * The body Bosun applies: normalized, stamped with `app.kubernetes.io/managed-by: bosun` and the
 * digest annotation. What the server would rewrite is written its way already: a Secret's
 * `stringData` goes into `data` (base64), a quantity written as a number becomes a string (built-in
 * kinds), and a built-in cluster-scoped kind loses `metadata.namespace` (for custom kinds see
 * {@link withoutNamespace}). Pure: same input, same output.
 */
export function prepareDesired(obj: JsonObject): JsonObject {
  let n = normalizeObject(quantityStrings(normalizeSecret(obj)));
  if (clusterScopedKind(n["apiVersion"], n["kind"])) n = withoutNamespace(n);
  const meta = isObj(n["metadata"]) ? { ...n["metadata"] } : {};
  const labels = isObj(meta["labels"]) ? { ...meta["labels"] } : {};
  labels[MANAGED_BY_LABEL] = MANAGED_BY_VALUE;
  meta["labels"] = labels;
  const stamped: JsonObject = { ...n, metadata: meta };
  const annotations = isObj(meta["annotations"]) ? { ...meta["annotations"] } : {};
  annotations[DIGEST_ANNOTATION] = desiredDigest(stamped);
  meta["annotations"] = annotations;
  return stamped;
}

/** True when the object carries `app.kubernetes.io/managed-by: bosun`. */
export function isManagedByBosun(
  obj: { metadata?: { labels?: Readonly<Record<string, string>> } } | undefined,
): boolean {
  return obj?.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE;
}

/**
 * True when two versions of a live object are the same apart from bookkeeping: resourceVersion
 * and managedFields timestamps. Used to tell a dry-run apply that would change nothing.
 */
export function sameLiveObject(a: JsonObject, b: JsonObject): boolean {
  const strip = (o: JsonObject): JsonObject => {
    const meta = isObj(o["metadata"]) ? { ...o["metadata"] } : {};
    delete meta["resourceVersion"];
    if (Array.isArray(meta["managedFields"])) {
      meta["managedFields"] = meta["managedFields"].map((m) => {
        if (!isObj(m)) return m;
        const { time: _time, ...rest } = m;
        return rest;
      });
    }
    return { ...o, metadata: meta };
  };
  return canonicalJson(strip(a)) === canonicalJson(strip(b));
}
