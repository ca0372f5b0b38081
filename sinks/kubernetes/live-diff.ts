import { isNoKindMatch } from "../../clients/kubernetes/errors.ts";
import type { JsonObject } from "../../engine/model/object-ref.ts";
import { refOf } from "../../engine/model/object-ref.ts";
import type { LiveSource, ObjectDiffSummary } from "../../engine/reconcile/ports.ts";
import { changedFields } from "./changed-fields.ts";
import { sinkFailure } from "./classify.ts";
import { mapLimit } from "./order.ts";
import type { KubernetesSink } from "./sink.ts";

/**
 * The read side `bosun plan` uses: each desired object diffed against live without writing. A kind
 * the server does not serve yet (its CRD comes with this commit) is `missing`: it would be created.
 * Any other read failure throws its typed SinkError.
 */
export class KubernetesLiveSource implements LiveSource {
  constructor(
    private readonly sink: KubernetesSink,
    private readonly concurrency = 16,
  ) {}

  diff(objects: readonly JsonObject[], signal: AbortSignal): Promise<ObjectDiffSummary[]> {
    signal.throwIfAborted();
    return mapLimit(objects, this.concurrency, async (o): Promise<ObjectDiffSummary> => {
      try {
        const d = await this.sink.diff(o, signal);
        return { state: d.state, fields: changedFields(String(o["kind"]), d.fields) };
      } catch (err) {
        if (signal.aborted) throw err;
        if (isNoKindMatch(err)) return { state: "missing", fields: [] };
        throw sinkFailure(refOf(o), err, "diff failed: ").error;
      }
    });
  }
}
