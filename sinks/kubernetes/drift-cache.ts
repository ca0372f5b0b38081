import type { KubeObject } from "../../clients/kubernetes/types.ts";
import type { ObjectRef } from "../../engine/model/object-ref.ts";

/**
 * What the sink reads live objects from instead of a GET per object per pass: a watch-fed cache
 * of the objects Bosun applies (`sources/kubernetes/managed-objects.ts`, `ManagedObjectCache`).
 * A lookup that misses makes the sink GET; what the sink reads or writes goes back in.
 */
export interface DriftCache {
  /** Hold these objects from now on (what Bosun applies). */
  track(refs: readonly ObjectRef[]): void;
  /** Follow these kinds; resolves once each has been listed (or failed to be: its lookups miss). */
  follow(kinds: readonly { readonly apiVersion: string; readonly kind: string }[], signal: AbortSignal): Promise<void>;
  /** The live object as last seen, or undefined when the cache cannot say. */
  lookup(ref: ObjectRef): KubeObject | undefined;
  /** An object the sink read or wrote (kept unless the cache holds a newer version). */
  record(object: KubeObject): void;
  /** The sink deleted it. */
  forget(ref: ObjectRef): void;
}
