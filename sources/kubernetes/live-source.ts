import type { KubeClient } from "../../clients/kubernetes/client.ts";
import type { KubeObject } from "../../clients/kubernetes/types.ts";
import { WatchCache, type CacheEvent, type CachedKind } from "../../clients/kubernetes/watch-cache.ts";
import { INVENTORY_KINDS, MANAGED_KINDS } from "./kinds.ts";

/** A device from the inventory CRDs, as the engine's selectors see it. */
export interface DeviceRecord {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly spec: Readonly<Record<string, string>>;
}

export interface KubeLiveSourceOptions {
  readonly signal: AbortSignal;
  /** Limit every watch to one namespace (default: all). */
  readonly namespace?: string;
  readonly kinds?: readonly CachedKind[];
  readonly onEvent?: (e: CacheEvent) => void;
}

function toDevice(o: KubeObject): DeviceRecord {
  const spec: Record<string, string> = {};
  for (const [k, v] of Object.entries((o["spec"] ?? {}) as Record<string, unknown>)) if (typeof v === "string") spec[k] = v;
  return { kind: o.kind, namespace: o.metadata.namespace ?? "", name: o.metadata.name, labels: o.metadata.labels ?? {}, spec };
}

/**
 * The Kubernetes read side: one watch cache over the kinds Bosun manages plus the device
 * inventory, so a reconcile pass reads live state from memory instead of listing.
 */
export class KubeLiveSource {
  readonly cache: WatchCache;
  private readonly kinds: readonly CachedKind[];

  constructor(client: KubeClient, opts: KubeLiveSourceOptions) {
    const ns = opts.namespace;
    this.kinds = (opts.kinds ?? [...MANAGED_KINDS, ...INVENTORY_KINDS]).map((k) => (ns !== undefined ? { ...k, namespace: ns } : k));
    this.cache = new WatchCache(client, { kinds: this.kinds, signal: opts.signal, ...(opts.onEvent ? { onEvent: opts.onEvent } : {}) });
  }

  /** Lists every kind once and starts following changes. */
  start(): Promise<void> {
    return this.cache.start();
  }

  private kindOf(apiVersion: string, kind: string): CachedKind | undefined {
    return this.kinds.find((k) => k.apiVersion === apiVersion && k.kind === kind);
  }

  /** Live objects of one kind, sorted by namespace/name. */
  objects(apiVersion: string, kind: string): KubeObject[] {
    const k = this.kindOf(apiVersion, kind);
    return k ? this.cache.list(k) : [];
  }

  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const k = this.kindOf(apiVersion, kind);
    return k ? this.cache.get(k, namespace, name) : undefined;
  }

  /** Every device of the inventory kinds (NetworkSwitch, SOC, BMC, Server, DPU order), each kind sorted by namespace/name. */
  devices(): DeviceRecord[] {
    return INVENTORY_KINDS.flatMap((ik) => this.objects(ik.apiVersion, ik.kind).map(toDevice));
  }
}
