import { canonicalJson } from "../../engine/kinds/canonical-json.ts";
import { refKey, refOf, type JsonObject } from "../../engine/model/object-ref.ts";
import type { LiveSource, ObjectDiffSummary } from "../../engine/reconcile/ports.ts";
import { unreachable } from "./failure.ts";
import { fieldDiff } from "./field-diff.ts";
import type { MemoryStorage } from "./storage.ts";

/**
 * Desired vs the stored objects, for `bosun plan`: `drifted` when desired is what Bosun last
 * applied but the object was edited since, `changed` when desired moved on.
 */
export class MemoryLiveSource implements LiveSource {
  constructor(private readonly storage: MemoryStorage) {}

  async diff(objects: readonly JsonObject[], signal: AbortSignal): Promise<ObjectDiffSummary[]> {
    signal.throwIfAborted();
    if (this.storage.unreachable) throw unreachable("plan diff");
    return objects.map((object): ObjectDiffSummary => {
      const stored = this.storage.objects.get(refKey(refOf(object)));
      if (!stored) return { state: "missing", fields: [] };
      const text = canonicalJson(object);
      if (stored.marked && stored.text === text) return { state: "in-sync", fields: [] };
      return { state: stored.appliedText === text ? "drifted" : "changed", fields: fieldDiff(object, stored.body) };
    });
  }
}
