import type { KubeClient, PropagationPolicy } from "../../clients/kubernetes/client.ts";
import type { ObjectDiff } from "../../engine/diff/index.ts";
import type { Change } from "../../engine/model/change.ts";
import { refOf, type JsonObject, type ObjectRef } from "../../engine/model/object-ref.ts";
import type { Observed, Sink } from "../../engine/reconcile/ports.ts";
import { ObjectApplier, type ObjectApplierOptions } from "./apply-object.ts";
import { deleteObject } from "./delete-object.ts";
import { observeObjects } from "./observe.ts";
import { groupByRank, mapLimit } from "./order.ts";

export interface KubernetesSinkOptions extends ObjectApplierOptions {
  readonly client: KubeClient;
  /** Parallel requests within one rank (default 16); the client's rate limit still applies. */
  readonly concurrency?: number;
  /** Propagation of deletes (default Background). */
  readonly propagationPolicy?: PropagationPolicy;
  /** How long one delete may take to be gone (default 120 s); past it the change is a transient failure. */
  readonly deleteTimeoutMs?: number;
}

/**
 * The Kubernetes write side (the engine's `Sink`): server-side apply with field manager `bosun`,
 * CRDs then Namespaces then the rest (each CRD waited for Established), no write when unchanged,
 * drift corrected or reported by the self-heal policy; deletes in reverse (namespaced objects,
 * then Namespaces, then CRDs) with propagation, waited until gone; observe by GET (prune and
 * dependency decisions read fresh). With a drift cache (`cache`), live objects come from the
 * watch instead of a GET per object: an unchanged pass makes no request.
 */
export class KubernetesSink implements Sink {
  private readonly applier: ObjectApplier;
  private readonly concurrency: number;

  constructor(private readonly opts: KubernetesSinkOptions) {
    this.applier = new ObjectApplier(opts);
    this.concurrency = opts.concurrency ?? 16;
  }

  /** One change per object, in rank order (CRDs, Namespaces, the rest), input order within a rank. */
  async apply(objects: readonly JsonObject[], signal: AbortSignal): Promise<Change[]> {
    signal.throwIfAborted();
    await this.follow(objects, signal);
    const out: Change[] = [];
    for (const group of groupByRank(objects.map((object) => ({ object, kind: String(object["kind"]) })))) {
      out.push(...(await mapLimit(group, this.concurrency, (g) => this.applier.apply(g.object, signal))));
    }
    return out;
  }

  /** Has the drift cache hold these objects and follow their kinds (a kind's first LIST is awaited once). */
  private async follow(objects: readonly JsonObject[], signal: AbortSignal): Promise<void> {
    const cache = this.opts.cache;
    if (!cache) return;
    const refs = objects.map(refOf);
    cache.track(refs);
    const kinds = new Map(refs.map((r) => [`${r.apiVersion}|${r.kind}`, { apiVersion: r.apiVersion, kind: r.kind }]));
    await cache.follow([...kinds.values()], signal);
  }

  /** One change per object: namespaced objects first, then Namespaces, then CRDs, each waited until gone. */
  async delete(refs: readonly ObjectRef[], signal: AbortSignal): Promise<Change[]> {
    signal.throwIfAborted();
    const out: Change[] = [];
    for (const group of groupByRank(refs).reverse()) {
      out.push(...(await mapLimit(group, this.concurrency, (ref) => this.deleteObject(ref, signal))));
    }
    return out;
  }

  observe(refs: readonly ObjectRef[], signal: AbortSignal): Promise<(Observed | undefined)[]> {
    return observeObjects(this.opts.client, refs, signal, this.concurrency);
  }

  /** Applies one object (see {@link apply}). */
  applyObject(object: JsonObject, signal: AbortSignal): Promise<Change> {
    return this.applier.apply(object, signal);
  }

  /** Server-side apply of the object's `status` to the status subresource. */
  applyStatus(object: JsonObject, signal: AbortSignal): Promise<Change> {
    return this.applier.applyStatus(object, signal);
  }

  /** Desired vs live for one object, with field owners, without writing. */
  diff(object: JsonObject, signal: AbortSignal): Promise<ObjectDiff> {
    return this.applier.diff(object, signal);
  }

  /** Deletes one object with this sink's propagation and timeout, waited until gone. */
  async deleteObject(
    ref: ObjectRef,
    signal: AbortSignal,
    propagationPolicy = this.opts.propagationPolicy,
  ): Promise<Change> {
    const change = await deleteObject(this.opts.client, ref, signal, {
      ...(propagationPolicy ? { propagationPolicy } : {}),
      ...(this.opts.deleteTimeoutMs !== undefined ? { timeoutMs: this.opts.deleteTimeoutMs } : {}),
    });
    if (change.error === undefined) {
      this.applier.forget(ref);
      this.opts.cache?.forget(ref);
    }
    return change;
  }
}
