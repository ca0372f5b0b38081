import { setTimeout as sleep } from "node:timers/promises";
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import { isGone } from "../../clients/kubernetes/errors.ts";
import type { KubeObject } from "../../clients/kubernetes/types.ts";
import { groupOf, type ObjectRef } from "../../engine/model/object-ref.ts";
import { ChangeWaiters } from "./change-waiters.ts";

/** One kind the cache follows. */
export interface FollowedKind {
  readonly apiVersion: string;
  readonly kind: string;
}

export interface ManagedObjectCacheOptions {
  /** Stops every watch. */
  readonly signal: AbortSignal;
  /** The label Bosun stamps on what it applies (default `app.kubernetes.io/managed-by` = `bosun`). */
  readonly label?: { readonly key: string; readonly value: string };
  /** Follow one namespace only (default: all; cluster-scoped kinds are always followed whole). */
  readonly namespace?: string;
  /** Backoff between reconnects (defaults 200 / 5000 ms). */
  readonly backoff?: { readonly minMs?: number; readonly maxMs?: number };
  readonly watchTimeoutSeconds?: number;
}

export interface ManagedObjectCacheStats {
  /** Full LISTs (the first of each kind, and each relist). */
  lists: number;
  /** Watches that ended with 410 Gone (each followed by a relist). */
  gone: number;
  reconnects: number;
  events: number;
  /** Objects written in by the sink (its own writes and the GETs of misses). */
  recorded: number;
}

interface KindState {
  readonly id: string;
  readonly apiVersion: string;
  readonly kind: string;
  namespaced: boolean;
  /** Discovery told whether the kind is namespaced (keys of cluster-scoped objects have no namespace). */
  mapped: boolean;
  /** The first LIST is in (a kind whose LIST fails is not synced: lookups miss, the sink reads by GET). */
  synced: boolean;
  /** Keys of this kind in `objects`. */
  readonly keys: Set<string>;
  readonly ready: Promise<void>;
}

/** `group/Kind` of a kind (one watch per kind, whatever the version). */
const kindId = (apiVersion: string, kind: string): string => `${groupOf(apiVersion) || "core"}/${kind}`;

const DECIMAL = /^\d+$/;

/** True when `a` is an older resourceVersion than `b` (compared as numbers when both are, as etcd's are). */
function older(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined || !DECIMAL.test(a) || !DECIMAL.test(b)) return false;
  return a.length !== b.length ? a.length < b.length : a < b;
}

/** What the diff needs of a live object: no status, no last-applied annotation, no managedFields times. */
function compact(o: KubeObject): KubeObject {
  const { status: _status, ...rest } = o;
  const meta = { ...o.metadata };
  if (meta.annotations && "kubectl.kubernetes.io/last-applied-configuration" in meta.annotations) {
    const { "kubectl.kubernetes.io/last-applied-configuration": _last, ...annotations } = meta.annotations;
    meta.annotations = annotations;
  }
  if (meta.managedFields) meta.managedFields = meta.managedFields.map(({ time: _time, ...m }) => m);
  return { ...rest, metadata: meta };
}

/**
 * The live objects Bosun applied, watch-fed (informer-style), so that drift is found without a
 * GET per object per poll. One paged LIST then WATCH per kind the sink applies, narrowed by
 * Bosun's managed-by label, relisting on 410 Gone and re-watching with backoff, as
 * `live-cache.ts` does for devices. It keeps only the objects whose keys it was given (the
 * objects Bosun applies: its inventory), compacted to what the diff reads. The sink also records
 * what its own writes return, so its next pass never sees its own write as drift.
 *
 * A lookup that misses (a kind not listed yet or not listable, an object not seen yet, one whose
 * label was removed) answers undefined and the caller reads by GET.
 */
export class ManagedObjectCache {
  readonly stats: ManagedObjectCacheStats = { lists: 0, gone: 0, reconnects: 0, events: 0, recorded: 0 };
  private readonly kinds = new Map<string, KindState>();
  private readonly objects = new Map<string, KubeObject>();
  private readonly tracked = new Set<string>();
  /** Refs given before their kind's scope was known, by kind. */
  private readonly pending = new Map<string, ObjectRef[]>();
  private readonly loops: Promise<void>[] = [];
  private readonly waiters: ChangeWaiters;
  private readonly label: { readonly key: string; readonly value: string };

  constructor(
    private readonly client: KubeClient,
    private readonly opts: ManagedObjectCacheOptions,
  ) {
    this.waiters = new ChangeWaiters(opts.signal);
    this.label = opts.label ?? { key: "app.kubernetes.io/managed-by", value: "bosun" };
  }

  /** The key of an object or ref: `group/Kind/namespace/name`, namespace "" for a cluster-scoped kind. */
  private keyOf(r: { apiVersion: string; kind: string; namespace?: string | undefined; name: string }): string {
    const id = kindId(r.apiVersion, r.kind);
    const namespaced = this.kinds.get(id)?.namespaced ?? true;
    return `${id}/${namespaced ? (r.namespace ?? "") : ""}/${r.name}`;
  }

  private keyOfObject(o: KubeObject): string {
    return this.keyOf({
      apiVersion: o.apiVersion,
      kind: o.kind,
      namespace: o.metadata.namespace,
      name: o.metadata.name,
    });
  }

  /** Keeps these objects from now on (the ones Bosun applies); others of the followed kinds are not held. */
  track(refs: readonly ObjectRef[]): void {
    for (const r of refs) {
      const id = kindId(r.apiVersion, r.kind);
      if (this.kinds.get(id)?.mapped) this.tracked.add(this.keyOf(r));
      else {
        let list = this.pending.get(id);
        if (!list) this.pending.set(id, (list = []));
        list.push(r);
      }
    }
  }

  /** How many objects are held, and of how many kinds. */
  size(): { objects: number; kinds: number; tracked: number } {
    let pending = 0;
    for (const list of this.pending.values()) pending += list.length;
    return { objects: this.objects.size, kinds: this.kinds.size, tracked: this.tracked.size + pending };
  }

  /**
   * Follows these kinds (idempotent); resolves once each has had its first LIST, or failed it (that
   * kind's lookups then miss until a LIST succeeds).
   */
  async follow(kinds: readonly FollowedKind[], signal: AbortSignal): Promise<void> {
    const ready: Promise<void>[] = [];
    for (const k of kinds) {
      const id = kindId(k.apiVersion, k.kind);
      let state = this.kinds.get(id);
      if (!state) state = this.start(id, k);
      if (!state.synced) ready.push(state.ready);
    }
    if (ready.length === 0) return;
    await Promise.race([
      Promise.all(ready),
      new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true })),
    ]);
    signal.throwIfAborted();
  }

  /** The live object as last seen, or undefined when the cache cannot say (the caller reads it). */
  lookup(ref: ObjectRef): KubeObject | undefined {
    const state = this.kinds.get(kindId(ref.apiVersion, ref.kind));
    if (!state?.synced) return undefined;
    const o = this.objects.get(this.keyOf(ref));
    return o !== undefined && o.apiVersion === ref.apiVersion ? o : undefined;
  }

  /**
   * Takes in an object the caller read or wrote (a write's answer, a GET after a miss) unless the
   * cache holds a newer version. Only tracked objects carrying Bosun's label are held: the watch
   * would not tell about the others.
   */
  record(o: KubeObject): void {
    const state = this.kinds.get(kindId(o.apiVersion, o.kind));
    if (!state?.synced) return;
    if (o.metadata.labels?.[this.label.key] !== this.label.value) return;
    if (this.store(state, o)) this.stats.recorded++;
  }

  /** Drops an object and stops holding it (the caller deleted it). */
  forget(ref: ObjectRef): void {
    const key = this.keyOf(ref);
    this.tracked.delete(key);
    this.objects.delete(key);
    this.kinds.get(kindId(ref.apiVersion, ref.kind))?.keys.delete(key);
  }

  /** The resourceVersion held for an object (tests wait for an edit to arrive with {@link until}). */
  resourceVersion(ref: ObjectRef): string | undefined {
    return this.objects.get(this.keyOf(ref))?.metadata.resourceVersion;
  }

  /** Resolves when `pred()` holds, checked after each change. */
  until(pred: () => boolean, signal?: AbortSignal): Promise<void> {
    return this.waiters.until(pred, signal);
  }

  async stopped(): Promise<void> {
    await Promise.all(this.loops);
  }

  private changed(): void {
    this.waiters.changed();
  }

  /** Holds `o` if tracked and not older than what is held; true when it was taken. */
  private store(state: KindState, o: KubeObject): boolean {
    const key = this.keyOfObject(o);
    if (!this.tracked.has(key)) return false;
    const held = this.objects.get(key);
    if (held && older(o.metadata.resourceVersion, held.metadata.resourceVersion)) return false;
    this.objects.set(key, compact(o));
    state.keys.add(key);
    return true;
  }

  private remove(state: KindState, key: string): void {
    this.objects.delete(key);
    state.keys.delete(key);
  }

  private start(id: string, k: FollowedKind): KindState {
    let markReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    const state: KindState = {
      id,
      apiVersion: k.apiVersion,
      kind: k.kind,
      namespaced: true,
      mapped: false,
      synced: false,
      keys: new Set(),
      ready,
    };
    this.kinds.set(id, state);
    this.loops.push(this.run(state, markReady));
    return state;
  }

  /** Paged LIST folded in; objects of this kind gone since the last list are dropped. Returns the resourceVersion. */
  private async relist(state: KindState): Promise<string> {
    const { signal } = this.opts;
    const mapping = await this.client.mapping(state.apiVersion, state.kind, signal);
    state.namespaced = mapping.namespaced;
    state.mapped = true;
    for (const r of this.pending.get(state.id) ?? []) this.tracked.add(this.keyOf(r));
    this.pending.delete(state.id);
    const fresh = new Set<string>();
    let rv = "";
    for await (const page of this.client.listPages(state.apiVersion, state.kind, {
      signal,
      labelSelector: `${this.label.key}=${this.label.value}`,
      ...(this.opts.namespace !== undefined && mapping.namespaced ? { namespace: this.opts.namespace } : {}),
    })) {
      for (const o of page.items) {
        fresh.add(this.keyOfObject(o));
        this.store(state, o);
      }
      rv = page.resourceVersion;
    }
    for (const key of [...state.keys]) if (!fresh.has(key)) this.remove(state, key);
    this.stats.lists++;
    this.changed();
    return rv;
  }

  private async run(state: KindState, ready: () => void): Promise<void> {
    const { signal } = this.opts;
    let rv: string | undefined;
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (rv === undefined) {
          rv = await this.relist(state);
          state.synced = true;
          ready();
        }
        for await (const ev of this.client.watch(state.apiVersion, state.kind, {
          signal,
          timeoutSeconds: this.opts.watchTimeoutSeconds ?? 300,
          resourceVersion: rv,
          labelSelector: `${this.label.key}=${this.label.value}`,
          ...(this.opts.namespace !== undefined && state.namespaced ? { namespace: this.opts.namespace } : {}),
        })) {
          if (ev.object.metadata.resourceVersion !== undefined) rv = ev.object.metadata.resourceVersion;
          failures = 0;
          if (ev.type === "BOOKMARK") continue;
          const o = {
            ...ev.object,
            apiVersion: ev.object.apiVersion ?? state.apiVersion,
            kind: ev.object.kind ?? state.kind,
          };
          // A watch narrowed by a label selector sends DELETED when an object stops matching it, too.
          if (ev.type === "DELETED") this.remove(state, this.keyOfObject(o));
          else this.store(state, o);
          this.stats.events++;
          this.changed();
        }
      } catch (err) {
        if (signal.aborted) return;
        if (isGone(err)) {
          // Too old to resume from: list again (informer-style relist).
          this.stats.gone++;
          rv = undefined;
          continue;
        }
        // A kind not served (yet), not listable, or a dropped connection: lookups of a kind never
        // listed miss (the caller GETs); a listed kind keeps its last state until the watch is back.
        if (rv === undefined) ready();
        this.stats.reconnects++;
        this.changed();
        const min = this.opts.backoff?.minMs ?? 200;
        await sleep(Math.min(this.opts.backoff?.maxMs ?? 5_000, min * 2 ** Math.min(failures++, 10)), undefined, {
          signal,
        }).catch(() => undefined);
      }
    }
  }
}
