import { setTimeout as sleep } from "node:timers/promises";
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import { isGone } from "../../clients/kubernetes/errors.ts";
import type { KubeObject } from "../../clients/kubernetes/types.ts";
import { LiveStore } from "../../engine/kinds/device-process-deployment/live-store.ts";
import type { LiveState } from "../../engine/kinds/device-process-deployment/ports.ts";
import { ingest, LIVE_KINDS } from "./live-records.ts";
import { ManagedObjectCache } from "./managed-objects.ts";
import { ChangeWaiters } from "./change-waiters.ts";

export interface LiveCacheOptions {
  readonly signal: AbortSignal;
  /**
   * Follow one namespace only (default: all). Devices are read cluster-wide either way when their CRDs are namespaced
   * there.
   */
  readonly namespace?: string;
  /** Backoff between reconnects (defaults 200 / 5000 ms). */
  readonly backoff?: { readonly minMs?: number; readonly maxMs?: number };
  readonly watchTimeoutSeconds?: number;
}

export interface LiveCacheStats {
  relists: number;
  gone: number;
  reconnects: number;
  events: number;
}

/** One kind the cache follows (a LIST + WATCH), optionally narrowed to a namespace and a label selector. */
export interface CachedKind {
  readonly apiVersion: string;
  readonly kind: string;
  /** Limit to one namespace; default all. */
  readonly namespace?: string;
  readonly labelSelector?: string;
}

const key = (o: KubeObject): string => `${o.metadata.namespace ?? ""}/${o.metadata.name}`;

/**
 * The shared live read model Bosun's reconciler reads instead of listing every pass: paged LIST
 * then WATCH per kind (devices of the five inventory kinds, DeviceProcesses labelled
 * bosun.dev/deployment, Leases, DeviceProcessDeployments), relisting on 410 Gone and re-watching
 * with backoff (informer-style). It keeps no API objects: each page and event is folded into a
 * LiveStore of compact records with versions.
 *
 * `objects` is the other half of the engine's live state, with the same lifetime: the objects
 * Bosun applies, followed per kind once the Kubernetes sink applies that kind (drift without a
 * GET per object per poll; see managed-objects.ts).
 */
export class LiveCache {
  readonly store = new LiveStore();
  readonly objects: ManagedObjectCache;
  readonly stats: LiveCacheStats = { relists: 0, gone: 0, reconnects: 0, events: 0 };
  private readonly kinds: CachedKind[];
  private readonly loops: Promise<void>[] = [];
  private readonly waiters: ChangeWaiters;
  private started: Promise<void> | undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly opts: LiveCacheOptions,
  ) {
    this.waiters = new ChangeWaiters(opts.signal);
    const ns = opts.namespace !== undefined ? { namespace: opts.namespace } : {};
    this.objects = new ManagedObjectCache(client, {
      signal: opts.signal,
      ...ns,
      ...(opts.backoff ? { backoff: opts.backoff } : {}),
      ...(opts.watchTimeoutSeconds !== undefined ? { watchTimeoutSeconds: opts.watchTimeoutSeconds } : {}),
    });
    this.kinds = [
      ...LIVE_KINDS.devices.map((k) => ({ ...k, ...ns })),
      { ...LIVE_KINDS.processes, ...ns },
      { ...LIVE_KINDS.deployments, ...ns },
      { ...LIVE_KINDS.leases, ...ns },
    ];
  }

  /** Lists every kind once (a kind whose CRD is missing counts as empty) and follows changes; idempotent. */
  start(): Promise<void> {
    this.started ??= (async () => {
      const synced = this.kinds.map((k) => new Promise<void>((ready) => this.loops.push(this.run(k, ready))));
      await Promise.race([
        Promise.all(synced),
        new Promise<void>((r) => this.opts.signal.addEventListener("abort", () => r(), { once: true })),
      ]);
      this.opts.signal.throwIfAborted();
    })();
    return this.started;
  }

  /** The read model, once the first LIST of every kind is in. */
  async state(): Promise<LiveState> {
    await this.start();
    return this.store;
  }

  async stopped(): Promise<void> {
    await Promise.all([...this.loops, this.objects.stopped()]);
  }

  /** Resolves when `pred()` holds, checked after each change. */
  until(pred: () => boolean, signal?: AbortSignal): Promise<void> {
    return this.waiters.until(pred, signal);
  }

  private changed(): void {
    this.waiters.changed();
  }

  /** Paged LIST folded page by page; objects gone since the last list are removed. Returns the resourceVersion. */
  private async relist(k: CachedKind, seen: Set<string>): Promise<string> {
    const { signal } = this.opts;
    const fresh = new Set<string>();
    let rv = "";
    for await (const page of this.client.listPages(k.apiVersion, k.kind, {
      signal,
      ...(k.namespace !== undefined ? { namespace: k.namespace } : {}),
      ...(k.labelSelector !== undefined ? { labelSelector: k.labelSelector } : {}),
    })) {
      for (const o of page.items) {
        fresh.add(key(o));
        ingest(this.store, "ADDED", o);
      }
      rv = page.resourceVersion;
    }
    for (const id of seen) {
      if (fresh.has(id)) continue;
      const slash = id.indexOf("/");
      ingest(this.store, "DELETED", {
        apiVersion: k.apiVersion,
        kind: k.kind,
        metadata: { namespace: id.slice(0, slash), name: id.slice(slash + 1) },
      });
    }
    seen.clear();
    for (const id of fresh) seen.add(id);
    this.stats.relists++;
    this.changed();
    return rv;
  }

  private async run(k: CachedKind, ready: () => void): Promise<void> {
    const { signal } = this.opts;
    const seen = new Set<string>();
    let rv: string | undefined;
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (rv === undefined) {
          rv = await this.relist(k, seen);
          ready();
        }
        for await (const ev of this.client.watch(k.apiVersion, k.kind, {
          signal,
          timeoutSeconds: this.opts.watchTimeoutSeconds ?? 300,
          resourceVersion: rv,
          ...(k.namespace !== undefined ? { namespace: k.namespace } : {}),
          ...(k.labelSelector !== undefined ? { labelSelector: k.labelSelector } : {}),
        })) {
          if (ev.object.metadata.resourceVersion !== undefined) rv = ev.object.metadata.resourceVersion;
          failures = 0;
          if (ev.type === "BOOKMARK") continue;
          const o = { ...ev.object, apiVersion: ev.object.apiVersion ?? k.apiVersion, kind: ev.object.kind ?? k.kind };
          if (ev.type === "DELETED") seen.delete(key(o));
          else seen.add(key(o));
          ingest(this.store, ev.type, o);
          this.stats.events++;
          this.changed();
        }
      } catch (err) {
        if (signal.aborted) return;
        if (isGone(err)) {
          this.stats.gone++;
          rv = undefined;
          continue;
        }
        // Not served (CRD missing) or a dropped connection: an empty kind is synced; retry later.
        if (rv === undefined) ready();
        this.stats.reconnects++;
        const min = this.opts.backoff?.minMs ?? 200;
        await sleep(Math.min(this.opts.backoff?.maxMs ?? 5_000, min * 2 ** Math.min(failures++, 10)), undefined, {
          signal,
        }).catch(() => undefined);
      }
    }
  }
}
