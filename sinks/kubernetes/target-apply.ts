import type { KubeClient } from "../../clients/kubernetes/client.ts";
import { isConflict } from "../../clients/kubernetes/errors.ts";
import { FIELD_MANAGER, prepareDesired } from "../../engine/diff/index.ts";
import type { Change } from "../../engine/model/change.ts";
import { describeRef, refOf, type JsonObject, type ObjectRef } from "../../engine/model/object-ref.ts";
import { sinkFailure } from "./classify.ts";
import { diffJsonOf } from "./json.ts";
import { mapLimit } from "./order.ts";

/**
 * Applies generated rollout targets (DeviceProcesses) without a GET per object: the live cache
 * already told the rollout that each one is missing or on another revision, so the GET + diff
 * the sink does would only confirm the change. Server-side apply as field manager `bosun`; a
 * conflict with another manager is taken back (Bosun owns what it renders), as self-heal does.
 */
export async function applyTargetsDirect(
  client: KubeClient,
  objects: readonly JsonObject[],
  known: (ref: ObjectRef) => boolean,
  signal: AbortSignal,
  concurrency = 16,
): Promise<Change[]> {
  return mapLimit(objects, concurrency, async (object): Promise<Change> => {
    const ref = refOf(object);
    const existed = known(ref);
    try {
      const body = prepareDesired(diffJsonOf(object, describeRef(ref)));
      try {
        await client.apply(body, { fieldManager: FIELD_MANAGER, signal });
      } catch (err) {
        if (!isConflict(err)) throw err;
        await client.apply(body, { fieldManager: FIELD_MANAGER, force: true, signal });
      }
      return existed
        ? { action: "configured", ref, reason: "configured: new revision" }
        : { action: "created", ref, reason: "created" };
    } catch (err) {
      if (signal.aborted) throw err;
      return { action: "skipped", ref, ...sinkFailure(ref, err) };
    }
  });
}
