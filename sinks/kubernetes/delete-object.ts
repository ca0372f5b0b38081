import type { KubeClient, PropagationPolicy } from "../../clients/kubernetes/client.ts";
import type { Change } from "../../engine/model/change.ts";
import type { ObjectRef } from "../../engine/model/object-ref.ts";
import { sinkFailure } from "./classify.ts";
import { waitGone } from "./wait.ts";

export interface DeleteOptions {
  /** Default Background. */
  readonly propagationPolicy?: PropagationPolicy;
  /** How long the object may take to be gone (finalizers, foreground deletion); default 120 s. */
  readonly timeoutMs?: number;
}

/**
 * Deletes one object with propagation and waits until it is gone: `deleted`, `skipped` ("already
 * gone"), or `skipped` with a typed error (a delete that did not finish in time is transient and
 * stays in the inventory). Only an aborted signal throws.
 */
export async function deleteObject(
  client: KubeClient,
  ref: ObjectRef,
  signal: AbortSignal,
  opts: DeleteOptions = {},
): Promise<Change> {
  const propagationPolicy = opts.propagationPolicy ?? "Background";
  try {
    const existed = await client.delete(ref, { propagationPolicy, signal });
    await waitGone(client, ref, signal, opts.timeoutMs);
    return existed
      ? { action: "deleted", ref, reason: `deleted (${propagationPolicy})` }
      : { action: "skipped", ref, reason: "already gone" };
  } catch (err) {
    if (signal.aborted) throw err;
    return { action: "skipped", ref, ...sinkFailure(ref, err, "delete failed: ") };
  }
}
