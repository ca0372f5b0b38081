/**
 * The WorkloadCluster backend (`workload-cluster`): Cluster API clusters on management clusters.
 * The WorkloadCluster records (custom resources with their status), the inventory key and the
 * Events live in the engine's cluster (the Kubernetes backend under this name); the rendered
 * Cluster API objects live on the management cluster each WorkloadCluster names, written by the
 * controller (`engine/kinds/workload-cluster/controller.ts`) through the `WORKLOAD_CLUSTERS` port.
 * Deleting a record first deletes its cluster's objects on the management cluster and waits until
 * its machines (and so their domains) are gone.
 */
import { loadKubeConfig, KubeClient } from "../../clients/kubernetes/index.ts";
import {
  BackendPorts,
  describeRef,
  SinkError,
  type Backend,
  type Change,
  type JsonObject,
  type Logger,
  type ObjectRef,
  type Observed,
  type Sink,
} from "../../engine/index.ts";
import { inventoryName, readInventory } from "../../engine/kinds/workload-cluster/cluster-inventory.ts";
import { MACHINE_API_VERSION } from "../../engine/kinds/workload-cluster/controller.ts";
import { CLUSTER_NAME_LABEL } from "../../engine/kinds/workload-cluster/move.ts";
import {
  WORKLOAD_CLUSTERS,
  type ClusterObjectRef,
  type ManagementCluster,
  type WorkloadClusterPort,
} from "../../engine/kinds/workload-cluster/ports.ts";
import { kubernetesBackend } from "../kubernetes/index.ts";
import type { WorkloadClusterBackendConfig } from "./config.ts";
import { LibvirtHypervisors } from "./hypervisors.ts";
import { KubeManagementCluster } from "./management-cluster.ts";

export interface WorkloadClusterBackendOptions {
  readonly config: WorkloadClusterBackendConfig;
  /** The engine's cluster: records, inventory, Events. */
  readonly client: KubeClient;
  readonly logger: Logger;
  readonly name?: string;
  readonly stateNamespace?: string;
  /** Self-heal of the records (default on: an out-of-band edit of a field Bosun set is taken back). */
  readonly selfHeal?: { readonly global: boolean };
  /** Management clusters built elsewhere (tests); default: one KubeClient per configured kubeconfig. */
  readonly managementClusters?: ReadonlyMap<string, ManagementCluster>;
}

export interface WorkloadClusterBackend extends Backend {
  readonly port: WorkloadClusterPort;
  close(): void;
}

const obj = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

class WorkloadClusterSink implements Sink {
  constructor(
    private readonly records: Sink,
    private readonly client: KubeClient,
    private readonly port: WorkloadClusterPort,
  ) {}

  apply(objects: readonly JsonObject[], signal: AbortSignal): Promise<Change[]> {
    return this.records.apply(objects, signal);
  }

  observe(refs: readonly ObjectRef[], signal: AbortSignal): Promise<(Observed | undefined)[]> {
    return this.records.observe(refs, signal);
  }

  async delete(refs: readonly ObjectRef[], signal: AbortSignal): Promise<Change[]> {
    const out: Change[] = [];
    for (const ref of refs) {
      try {
        await this.teardown(ref, signal);
        out.push(...(await this.records.delete([ref], signal)));
      } catch (e) {
        if (signal.aborted) throw signal.reason;
        const error =
          e instanceof SinkError
            ? e
            : new SinkError(describeRef(ref), "transient", e instanceof Error ? e.message : String(e));
        out.push({ action: "skipped", ref, reason: error.message, error });
      }
    }
    return out;
  }

  /** Deletes the cluster's objects on its management cluster; done once no Machine or infra machine is left. */
  private async teardown(ref: ObjectRef, signal: AbortSignal): Promise<void> {
    const record = (await this.client.get({ ...ref }, signal)) as unknown as JsonObject | undefined;
    const named = obj(record?.["status"])["managementCluster"] ?? obj(record?.["spec"])["managementCluster"];
    const names = this.port.managementClusterNames();
    const name = typeof named === "string" ? named : names.length === 1 ? names[0] : undefined;
    const cluster = name === undefined ? undefined : this.port.managementCluster(name);
    if (!cluster) return; // never applied anywhere Bosun knows
    const wc = { namespace: ref.namespace, name: ref.name };
    const inventory = await readInventory(cluster, wc, signal);
    // The Cluster first (Cluster API deletes its parts behind it), then every other rendered object.
    const ordered = [...inventory.refs].sort((a, b) => (a.kind === "Cluster" ? -1 : b.kind === "Cluster" ? 1 : 0));
    for (const r of ordered) {
      const live = await cluster.get(r, signal);
      if (live && obj(obj(live["metadata"])["labels"])["app.kubernetes.io/managed-by"] === "bosun")
        await cluster.remove(r, signal);
    }
    const selector = `${CLUSTER_NAME_LABEL}=${ref.name}`;
    const machines = await cluster.list(MACHINE_API_VERSION, "Machine", ref.namespace, selector, signal);
    const infraKinds = [
      ...new Set(
        inventory.refs
          .filter((r) => r.kind.endsWith("MachineTemplate"))
          .map((r) => `${r.apiVersion}|${r.kind.slice(0, -8)}`),
      ),
    ];
    const infra: JsonObject[] = [];
    for (const k of infraKinds) {
      const [apiVersion, kind] = k.split("|") as [string, string];
      infra.push(...(await cluster.list(apiVersion, kind, ref.namespace, selector, signal)));
    }
    // As Cluster API's Cluster deletion does: the descendants are deleted explicitly, not left to the garbage
    // collector alone (the provider's finalizer on each infra machine removes its domain and disks).
    for (const o of [...machines, ...infra]) {
      const m = obj(o["metadata"]);
      if (m["deletionTimestamp"] !== undefined) continue;
      await cluster.remove(
        {
          apiVersion: String(o["apiVersion"]),
          kind: String(o["kind"]),
          namespace: ref.namespace,
          name: String(m["name"]),
        },
        signal,
      );
    }
    if (machines.length + infra.length > 0) {
      throw new SinkError(
        describeRef(ref),
        "transient",
        `deleting on ${cluster.name}: waiting for ${machines.length} Machines and ${infra.length} infrastructure machines (their domains and disks) to go`,
      );
    }
    const cm: ClusterObjectRef = {
      apiVersion: "v1",
      kind: "ConfigMap",
      namespace: ref.namespace,
      name: inventoryName(wc),
    };
    await cluster.remove(cm, signal);
  }
}

export function workloadClusterBackend(options: WorkloadClusterBackendOptions): WorkloadClusterBackend {
  const { client, logger, config } = options;
  const name = options.name ?? "workload-cluster";
  const records = kubernetesBackend({
    client,
    logger,
    name,
    ...(options.stateNamespace ? { stateNamespace: options.stateNamespace } : {}),
    ...(options.selfHeal ? { selfHeal: options.selfHeal } : {}),
  });
  const clients: KubeClient[] = [];
  const clusters = new Map<string, ManagementCluster>(options.managementClusters ?? []);
  if (!options.managementClusters) {
    for (const c of config.managementClusters) {
      const kc = loadKubeConfig({ kubeconfigPath: c.kubeconfig, ...(c.context ? { context: c.context } : {}) });
      const mc = new KubeClient(kc, {
        ...(c.qps !== undefined ? { qps: c.qps, burst: Math.max(1, Math.ceil(c.qps)) } : {}),
      });
      clients.push(mc);
      clusters.set(c.name, new KubeManagementCluster(c.name, mc));
    }
  }
  const port: WorkloadClusterPort = {
    managementCluster: (n) => clusters.get(n),
    managementClusterNames: () => [...clusters.keys()],
    ...(config.kvmHosts.length > 0 ? { hypervisors: new LibvirtHypervisors(config.kvmHosts) } : {}),
    async readStatus(ref, signal) {
      const live = (await client.get({ ...ref }, signal)) as unknown as JsonObject | undefined;
      const status = live?.["status"];
      return typeof status === "object" && status !== null ? (status as JsonObject) : undefined;
    },
    async writeStatus(ref, status, signal) {
      // A merge patch of the status subresource: fields given as null are removed, others kept.
      const m = await client.mapping(ref.apiVersion, ref.kind, signal);
      const ns = encodeURIComponent(ref.namespace);
      await client.rest.request({
        method: "PATCH",
        path: `/apis/${m.group}/${m.version}/namespaces/${ns}/${m.resource}/${encodeURIComponent(ref.name)}/status`,
        contentType: "application/merge-patch+json",
        body: { status },
        subject: `patch status ${ref.kind} ${ref.namespace}/${ref.name}`,
        signal,
      });
    },
  };
  return {
    name,
    sink: new WorkloadClusterSink(records.sink, client, port),
    live: records.live,
    inventory: records.inventory,
    events: records.events,
    ports: new BackendPorts().with(WORKLOAD_CLUSTERS, port),
    port,
    close: () => {
      for (const c of clients) c.close();
    },
  };
}
