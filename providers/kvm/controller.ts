import type { KubeClient } from "../../clients/kubernetes/index.ts";
import type { Logger } from "../../engine/index.ts";
import type { ClusterReconciler } from "./cluster-reconciler.ts";
import type { MachineReconciler } from "./machine-reconciler.ts";
import { CAPI_API_VERSION, CLUSTER_NAME_LABEL, INFRA_API_VERSION } from "./model.ts";
import { WorkQueue } from "./work-queue.ts";

export interface ControllerOptions {
  readonly kube: KubeClient;
  readonly machines: MachineReconciler;
  readonly clusters: ClusterReconciler;
  readonly log: Logger;
  /** Watch one namespace (default: all). */
  readonly namespace?: string;
  /** Every object is reconciled at least this often: how a domain changed behind libvirt's back is noticed. */
  readonly resyncMs: number;
  readonly concurrency: number;
}

type Watched = { apiVersion: string; kind: string };
const WATCHED: readonly Watched[] = [
  { apiVersion: INFRA_API_VERSION, kind: "KVMMachine" },
  { apiVersion: INFRA_API_VERSION, kind: "KVMCluster" },
  { apiVersion: CAPI_API_VERSION, kind: "Machine" },
  { apiVersion: CAPI_API_VERSION, kind: "Cluster" },
];

/**
 * Runs both controllers: list+watch of KVMMachine, KVMCluster, Machine and Cluster (a Machine or Cluster change
 * queues the KVM objects that hang off it), a resync of everything every `resyncMs`, one work queue per controller.
 */
export class ProviderController {
  private readonly machineQueue: WorkQueue;
  private readonly clusterQueue: WorkQueue;
  private readonly abort = new AbortController();
  private readonly loops: Promise<void>[] = [];
  private resyncTimer: NodeJS.Timeout | undefined;
  /** Set once every watch has listed once. */
  synced = false;
  lastResync = 0;

  constructor(private readonly o: ControllerOptions) {
    const queueOpts = (what: string) => ({
      concurrency: o.concurrency,
      baseBackoffMs: 500,
      maxBackoffMs: 10_000,
      onError: (key: string, err: unknown) => o.log.error({ err, key, controller: what }, "reconcile threw"),
    });
    this.machineQueue = new WorkQueue((key) => {
      const [ns, name] = split(key);
      return o.machines.reconcile(ns, name, this.abort.signal);
    }, queueOpts("kvmmachine"));
    this.clusterQueue = new WorkQueue((key) => {
      const [ns, name] = split(key);
      return o.clusters.reconcile(ns, name, this.abort.signal);
    }, queueOpts("kvmcluster"));
  }

  get queueDepth(): number {
    return this.machineQueue.depth + this.clusterQueue.depth;
  }

  start(): void {
    const listed = new Set<string>();
    for (const w of WATCHED)
      this.loops.push(
        this.watchLoop(w, () => {
          listed.add(w.kind);
          if (listed.size === WATCHED.length) this.synced = true;
        }),
      );
    const tick = (): void => {
      void this.resync().finally(() => {
        if (!this.abort.signal.aborted) this.resyncTimer = setTimeout(tick, this.o.resyncMs);
      });
    };
    this.resyncTimer = setTimeout(tick, this.o.resyncMs);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    if (this.resyncTimer) clearTimeout(this.resyncTimer);
    this.machineQueue.stop();
    this.clusterQueue.stop();
    await Promise.allSettled(this.loops);
  }

  private ns(): { namespace?: string } {
    return this.o.namespace ? { namespace: this.o.namespace } : {};
  }

  private async resync(): Promise<void> {
    try {
      for (const kind of ["KVMMachine", "KVMCluster"]) {
        const list = await this.o.kube.list(INFRA_API_VERSION, kind, { ...this.ns(), signal: this.abort.signal });
        for (const item of list.items) this.route(kind, item.metadata.namespace ?? "", item.metadata.name, item);
      }
      this.lastResync = Date.now();
    } catch (err) {
      if (!this.abort.signal.aborted) this.o.log.warn({ err }, "resync failed");
    }
  }

  private route(
    kind: string,
    ns: string,
    name: string,
    obj: { metadata: { labels?: Record<string, string> }; [k: string]: unknown },
  ): void {
    if (kind === "KVMMachine") this.machineQueue.add(`${ns}/${name}`);
    else if (kind === "KVMCluster") this.clusterQueue.add(`${ns}/${name}`);
    else if (kind === "Machine") {
      const ref = (obj["spec"] as { infrastructureRef?: { kind?: string; name?: string } } | undefined)
        ?.infrastructureRef;
      if (ref?.kind === "KVMMachine" && ref.name) this.machineQueue.add(`${ns}/${ref.name}`);
    } else if (kind === "Cluster") {
      void this.clusterChanged(ns, name, obj);
    }
  }

  /** A Cluster changed (infrastructure ready, paused, …): queue its KVMCluster and KVMMachines. */
  private async clusterChanged(ns: string, name: string, obj: { [k: string]: unknown }): Promise<void> {
    const ref = (obj["spec"] as { infrastructureRef?: { kind?: string; name?: string } } | undefined)
      ?.infrastructureRef;
    if (ref?.kind === "KVMCluster" && ref.name) this.clusterQueue.add(`${ns}/${ref.name}`);
    try {
      const machines = await this.o.kube.list(INFRA_API_VERSION, "KVMMachine", {
        namespace: ns,
        labelSelector: `${CLUSTER_NAME_LABEL}=${name}`,
        signal: this.abort.signal,
      });
      for (const m of machines.items) this.machineQueue.add(`${ns}/${m.metadata.name}`);
    } catch (err) {
      if (!this.abort.signal.aborted)
        this.o.log.warn({ err, cluster: `${ns}/${name}` }, "listing the cluster's KVMMachines failed");
    }
  }

  private async watchLoop(w: Watched, onListed: () => void): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        const list = await this.o.kube.list(w.apiVersion, w.kind, { ...this.ns(), signal });
        for (const item of list.items) this.route(w.kind, item.metadata.namespace ?? "", item.metadata.name, item);
        onListed();
        let rv = list.resourceVersion;
        for (;;) {
          for await (const ev of this.o.kube.watch(w.apiVersion, w.kind, {
            ...this.ns(),
            resourceVersion: rv,
            timeoutSeconds: 300,
            signal,
          })) {
            if (ev.object.metadata.resourceVersion) rv = ev.object.metadata.resourceVersion;
            if (ev.type === "BOOKMARK") continue;
            this.route(w.kind, ev.object.metadata.namespace ?? "", ev.object.metadata.name, ev.object);
          }
          if (signal.aborted) break;
        }
      } catch (err) {
        if (signal.aborted) return;
        this.o.log.warn({ err: (err as Error).message, kind: w.kind }, "watch ended; listing again");
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }
}

function split(key: string): [string, string] {
  const i = key.indexOf("/");
  return [key.slice(0, i), key.slice(i + 1)];
}
