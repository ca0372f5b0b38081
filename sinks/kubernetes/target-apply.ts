import type { KubeClient } from "../../clients/kubernetes/client.ts";
import { isConflict, isKubeApiError } from "../../clients/kubernetes/errors.ts";
import type { KubeObject } from "../../clients/kubernetes/types.ts";
import { FIELD_MANAGER, prepareDesired, type JsonObject } from "../../engine/diff/index.ts";
import type { Change, ObjectRef } from "../../engine/reconcile/ports.ts";
import { mapLimit } from "./order.ts";

function refOf(o: KubeObject): ObjectRef {
  return { apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace ?? "", name: o.metadata.name };
}

/**
 * Applies generated rollout targets (DeviceProcesses) without a GET per object: the live cache
 * already told the rollout that each one is missing or on another revision, so the GET + diff
 * the sink does would only confirm the change. Server-side apply as field manager `bosun`; a
 * conflict with another manager is taken back (Bosun owns what it renders), as self-heal does.
 */
export async function applyTargetsDirect(client: KubeClient, objects: readonly KubeObject[], known: (ref: ObjectRef) => boolean, signal: AbortSignal, concurrency = 16): Promise<Change[]> {
  return mapLimit(objects, concurrency, async (object): Promise<Change> => {
    const ref = refOf(object);
    const body = prepareDesired(object as unknown as JsonObject) as unknown as KubeObject;
    const existed = known(ref);
    try {
      try {
        await client.apply(body, { fieldManager: FIELD_MANAGER, signal });
      } catch (err) {
        if (!isConflict(err)) throw err;
        await client.apply(body, { fieldManager: FIELD_MANAGER, force: true, signal });
      }
      return existed ? { action: "configured", ref, reason: "configured: new revision" } : { action: "created", ref, reason: "created" };
    } catch (err) {
      if (signal.aborted) throw err;
      const message = isKubeApiError(err) ? `${err.reason}: ${err.message}` : (err as Error).message;
      return { action: "skipped", ref, reason: message, error: message };
    }
  });
}
