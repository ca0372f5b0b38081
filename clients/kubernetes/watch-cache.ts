import { setTimeout as sleep } from "node:timers/promises";
import type { KubeClient } from "./client.ts";
import { isGone } from "./errors.ts";
import type { KubeObject, WatchEvent } from "./types.ts";

export interface CachedKind {
  readonly apiVersion: string;
  readonly kind: string;
  /** Limit to one namespace; default all. */
  readonly namespace?: string;
  readonly labelSelector?: string;
}

export interface CacheStats {
  /** Full LISTs done (the first one, then one per 410 Gone). */
  relists: number;
  /** 410 Gone answers seen (HTTP status or ERROR event). */
  gone: number;
  /** Watches re-opened after a connection failure or server error. */
  reconnects: number;
}

export type CacheEvent =
  | { readonly type: "ADDED" | "MODIFIED" | "DELETED"; readonly object: KubeObject }
  | { readonly type: "RELISTED" | "GONE" | "RECONNECTING"; readonly kind: string; readonly error?: unknown };

export interface WatchCacheOptions {
  readonly kinds: readonly CachedKind[];
  readonly signal: AbortSignal;
  /** Resume from a previously seen state instead of listing first (e.g. a persisted checkpoint). */
  readonly resume?: ReadonlyArray<{ readonly kind: CachedKind; readonly resourceVersion: string; readonly items: readonly KubeObject[] }>;
  /** Backoff between reconnects: starts at `minMs`, doubles up to `maxMs` (defaults 200 / 5000). */
  readonly backoff?: { readonly minMs?: number; readonly maxMs?: number };
  /** Passed to the server so watches end cleanly now and then and are re-opened (default 300). */
  readonly watchTimeoutSeconds?: number;
  readonly onEvent?: (e: CacheEvent) => void;
}

function kindKey(k: CachedKind): string {
  return `${k.apiVersion}|${k.kind}|${k.namespace ?? ""}|${k.labelSelector ?? ""}`;
}

function objKey(o: KubeObject): string {
  return `${o.metadata.namespace ?? ""}/${o.metadata.name}`;
}

/**
 * An informer-style cache: LIST (paged) then WATCH per kind from the list's resourceVersion,
 * re-watching from the last seen resourceVersion after a dropped connection or an API server
 * restart (with backoff), and relisting on 410 Gone. Runs until the signal aborts.
 */
export class WatchCache {
  readonly stats: CacheStats = { relists: 0, gone: 0, reconnects: 0 };
  private readonly stores = new Map<string, Map<string, KubeObject>>();
  private readonly rvs = new Map<string, string>();
  private readonly waiters = new Set<() => void>();
  private readonly loops: Array<Promise<void>> = [];
  private readonly synced = new Map<string, Promise<void>>();

  constructor(private readonly client: KubeClient, private readonly opts: WatchCacheOptions) {
    for (const k of opts.kinds) this.stores.set(kindKey(k), new Map());
    for (const r of opts.resume ?? []) {
      const store = this.stores.get(kindKey(r.kind));
      if (!store) continue;
      for (const o of r.items) store.set(objKey(o), o);
      this.rvs.set(kindKey(r.kind), r.resourceVersion);
    }
  }

  /** Starts the per-kind loops; resolves once every kind has a first state (listed or resumed). */
  async start(): Promise<void> {
    for (const k of this.opts.kinds) {
      let ready!: () => void;
      this.synced.set(kindKey(k), new Promise<void>((r) => (ready = r)));
      this.loops.push(this.run(k, ready));
    }
    await Promise.race([Promise.all(this.synced.values()), this.aborted()]);
    this.opts.signal.throwIfAborted();
  }

  /** Resolves when every loop has ended (after the signal aborted). */
  async stopped(): Promise<void> {
    await Promise.all(this.loops);
  }

  get(k: CachedKind, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.stores.get(kindKey(k))?.get(`${namespace ?? ""}/${name}`);
  }

  /** Cached objects of a kind, sorted by namespace/name. */
  list(k: CachedKind): KubeObject[] {
    const store = this.stores.get(kindKey(k));
    if (!store) return [];
    return [...store.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, o]) => o);
  }

  resourceVersion(k: CachedKind): string | undefined {
    return this.rvs.get(kindKey(k));
  }

  /** Resolves when `pred()` is true, checked after every cache change (no polling). */
  until(pred: () => boolean, signal?: AbortSignal): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const signals = [this.opts.signal, ...(signal ? [signal] : [])];
      const done = (): void => {
        this.waiters.delete(check);
        for (const s of signals) s.removeEventListener("abort", onAbort);
      };
      const check = (): void => {
        if (!pred()) return;
        done();
        resolve();
      };
      const onAbort = (ev: Event): void => {
        done();
        reject((ev.target as AbortSignal).reason);
      };
      this.waiters.add(check);
      for (const s of signals) s.addEventListener("abort", onAbort, { once: true });
    });
  }

  private aborted(): Promise<void> {
    return new Promise((r) => this.opts.signal.addEventListener("abort", () => r(), { once: true }));
  }

  private notify(e: CacheEvent): void {
    this.opts.onEvent?.(e);
    for (const w of [...this.waiters]) w();
  }

  private async pause(attempt: number): Promise<void> {
    const min = this.opts.backoff?.minMs ?? 200;
    const max = this.opts.backoff?.maxMs ?? 5_000;
    await sleep(Math.min(max, min * 2 ** Math.min(attempt, 10)), undefined, { signal: this.opts.signal }).catch(() => undefined);
  }

  private async relist(k: CachedKind): Promise<void> {
    const { signal } = this.opts;
    const list = await this.client.list(k.apiVersion, k.kind, {
      signal, ...(k.namespace !== undefined ? { namespace: k.namespace } : {}), ...(k.labelSelector !== undefined ? { labelSelector: k.labelSelector } : {}),
    });
    const key = kindKey(k);
    const store = this.stores.get(key) ?? new Map<string, KubeObject>();
    const fresh = new Map(list.items.map((o) => [objKey(o), o] as const));
    this.stats.relists++;
    for (const [id, old] of store) if (!fresh.has(id)) { store.delete(id); this.notify({ type: "DELETED", object: old }); }
    for (const [id, o] of fresh) {
      const old = store.get(id);
      store.set(id, o);
      if (old === undefined) this.notify({ type: "ADDED", object: o });
      else if (old.metadata.resourceVersion !== o.metadata.resourceVersion) this.notify({ type: "MODIFIED", object: o });
    }
    this.rvs.set(key, list.resourceVersion);
    this.notify({ type: "RELISTED", kind: k.kind });
  }

  private applyEvent(k: CachedKind, ev: WatchEvent): void {
    const key = kindKey(k);
    if (ev.object.metadata.resourceVersion !== undefined) this.rvs.set(key, ev.object.metadata.resourceVersion);
    if (ev.type === "BOOKMARK") return;
    const store = this.stores.get(key);
    if (!store) return;
    const obj = { ...ev.object, apiVersion: ev.object.apiVersion ?? k.apiVersion, kind: ev.object.kind ?? k.kind };
    if (ev.type === "DELETED") store.delete(objKey(obj));
    else store.set(objKey(obj), obj);
    this.notify({ type: ev.type, object: obj });
  }

  private async run(k: CachedKind, ready: () => void): Promise<void> {
    const { signal } = this.opts;
    const key = kindKey(k);
    let failures = 0;
    let needList = !this.rvs.has(key);
    if (!needList) ready();
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.relist(k);
          needList = false;
          ready();
        }
        const rv = this.rvs.get(key);
        for await (const ev of this.client.watch(k.apiVersion, k.kind, {
          signal, timeoutSeconds: this.opts.watchTimeoutSeconds ?? 300,
          ...(rv !== undefined ? { resourceVersion: rv } : {}),
          ...(k.namespace !== undefined ? { namespace: k.namespace } : {}), ...(k.labelSelector !== undefined ? { labelSelector: k.labelSelector } : {}),
        })) {
          this.applyEvent(k, ev);
          failures = 0;
        }
      } catch (err) {
        if (signal.aborted) return;
        if (isGone(err)) {
          this.stats.gone++;
          needList = true;
          this.notify({ type: "GONE", kind: k.kind, error: err });
          continue;
        }
        this.stats.reconnects++;
        this.notify({ type: "RECONNECTING", kind: k.kind, error: err });
        await this.pause(failures++);
      }
    }
  }
}
