import type { KubeClient } from "../../clients/kubernetes/client.ts";
import { isNoKindMatch } from "../../clients/kubernetes/errors.ts";
import { isManagedByBosun } from "../../engine/diff/index.ts";
import type { ObjectRef } from "../../engine/model/object-ref.ts";
import type { Observed } from "../../engine/reconcile/ports.ts";
import { sinkFailure } from "./classify.ts";
import { mapLimit } from "./order.ts";

/**
 * The live objects (GET each, `concurrency` at a time), in order; undefined where absent, also
 * when the kind itself is gone (its CRD deleted). `managedByBosun` is the managed-by label. A read
 * that fails throws its typed SinkError (the caller cannot decide on what it could not see).
 */
export async function observeObjects(
  client: KubeClient,
  refs: readonly ObjectRef[],
  signal: AbortSignal,
  concurrency: number,
): Promise<(Observed | undefined)[]> {
  signal.throwIfAborted();
  return mapLimit(refs, concurrency, async (ref): Promise<Observed | undefined> => {
    try {
      const live = await client.get(ref, signal);
      return live === undefined ? undefined : { ref, managedByBosun: isManagedByBosun(live), object: live };
    } catch (err) {
      if (signal.aborted) throw err;
      if (isNoKindMatch(err)) return undefined;
      throw sinkFailure(ref, err, "observe failed: ").error;
    }
  });
}
