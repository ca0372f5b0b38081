/**
 * The TenantCluster backend (`tenant-cluster`): the TenantCluster records (custom resources with
 * status, inventory key `tenant-cluster`, Events) in the parent cluster through the Kubernetes
 * backend, and the `TENANT_FLEET` port over the parent cluster (Kamaji TenantControlPlanes), Proxmox
 * (worker VMs) and the tenants themselves. Deleting a record tears its cluster down first, in
 * reverse order: worker VMs, the TenantControlPlane, the tenant's Secrets; a failure keeps the
 * record (and the inventory entry), so the next pass resumes the teardown.
 */
import type { KubeClient } from "../../clients/kubernetes/index.ts";
import { ProxmoxClient } from "../../clients/proxmox/index.ts";
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
import { TENANT_FLEET, TenantStepError, type TenantClusterStatus } from "../../engine/kinds/tenant-cluster/ports.ts";
import { kubernetesBackend } from "../kubernetes/index.ts";
import type { TenantClustersConfig } from "./config.ts";
import { KubeProxmoxTenantFleet, type ProxmoxApi } from "./fleet.ts";

export interface TenantClusterBackendOptions {
  readonly config: TenantClustersConfig;
  /** The parent cluster (Kamaji's): records, TenantControlPlanes, admin kubeconfig Secrets. */
  readonly client: KubeClient;
  readonly logger: Logger;
  /** Proxmox API (default: a ProxmoxClient from the config). */
  readonly proxmox?: ProxmoxApi & { close?: () => Promise<void> };
  readonly name?: string;
  readonly stateNamespace?: string;
}

export interface TenantClusterBackend extends Backend {
  readonly fleet: KubeProxmoxTenantFleet;
  close(): Promise<void>;
}

class TenantClusterSink implements Sink {
  constructor(
    private readonly records: Sink,
    private readonly fleet: KubeProxmoxTenantFleet,
    private readonly logger: Logger,
  ) {}

  apply(objects: readonly JsonObject[], signal: AbortSignal): Promise<Change[]> {
    return this.records.apply(objects, signal);
  }

  observe(refs: readonly ObjectRef[], signal: AbortSignal): Promise<(Observed | undefined)[]> {
    return this.records.observe(refs, signal);
  }

  async delete(refs: readonly ObjectRef[], signal: AbortSignal): Promise<Change[]> {
    signal.throwIfAborted();
    const out = new Map<ObjectRef, Change>();
    const ready: ObjectRef[] = [];
    await Promise.all(
      refs.map(async (ref) => {
        try {
          await this.fleet
            .writeStatus(ref, deleting(`deleting: worker VMs, then the TenantControlPlane, then its Secrets`), signal)
            .catch((e: unknown) => this.logger.debug({ err: e }, "status Deleting not written (record gone?)"));
          await this.fleet.teardown(ref, signal);
          ready.push(ref);
        } catch (e) {
          if (signal.aborted) throw signal.reason;
          const message = e instanceof Error ? e.message : String(e);
          const error = new SinkError(describeRef(ref), "transient", `teardown not finished: ${message}`, { cause: e });
          await this.fleet
            .writeStatus(ref, deleting(message, e instanceof TenantStepError ? e.reason : "TeardownFailed"), signal)
            .catch(() => undefined);
          out.set(ref, { action: "skipped", ref, reason: error.message, error });
        }
      }),
    );
    const deleted = ready.length > 0 ? await this.records.delete(ready, signal) : [];
    deleted.forEach((c, i) => out.set(ready[i] as ObjectRef, c));
    return refs.map((r) => out.get(r) as Change);
  }
}

function deleting(message: string, reason = "Deleting"): TenantClusterStatus {
  return {
    phase: "Deleting",
    reason,
    message,
    nodesReady: 0,
    nodesTotal: 0,
    workers: { desired: 0, current: 0, running: 0 },
    vms: [],
    conditions: [{ type: "Ready", status: "False", reason, message }],
  };
}

export function tenantClusterBackend(options: TenantClusterBackendOptions): TenantClusterBackend {
  const p = options.config.proxmox;
  const proxmox =
    options.proxmox ??
    new ProxmoxClient({
      url: p.url,
      ...(p.caFile ? { caFile: p.caFile } : {}),
      ...(p.timeoutMs ? { timeoutMs: p.timeoutMs } : {}),
      ...(p.taskPollMs ? { taskPollMs: p.taskPollMs } : {}),
      auth: p.auth,
    });
  const name = options.name ?? "tenant-cluster";
  const records = kubernetesBackend({
    client: options.client,
    logger: options.logger,
    name,
    ...(options.stateNamespace ? { stateNamespace: options.stateNamespace } : {}),
  });
  const fleet = new KubeProxmoxTenantFleet({
    parent: options.client,
    proxmox,
    config: options.config,
    logger: options.logger,
  });
  return {
    name,
    sink: new TenantClusterSink(records.sink, fleet, options.logger),
    live: records.live,
    inventory: records.inventory,
    events: records.events,
    ports: new BackendPorts().with(TENANT_FLEET, fleet),
    fleet,
    async close() {
      fleet.close();
      await proxmox.close?.();
    },
  };
}
