import type { KubeClient } from "../../clients/kubernetes/client.ts";
import type { DeviceFleet, LiveState } from "../../engine/kinds/device-process-deployment/ports.ts";
import type { Logger } from "../../engine/log/logger.ts";
import type { Change } from "../../engine/model/change.ts";
import { DEVICE_KINDS, Labels, MANAGER, type Device } from "../../engine/model/device.ts";
import type { JsonObject, ObjectRef } from "../../engine/model/object-ref.ts";
import { sinkFailure } from "./classify.ts";
import { mapLimit } from "./order.ts";
import type { KubernetesSink } from "./sink.ts";
import { applyTargetsDirect } from "./target-apply.ts";
import type { DriftCache } from "./drift-cache.ts";

const DEVICE_API = "azure.com/v1alpha1";
const LEASE_PREFIX = "bosun-device-";

/** What the device fleet needs of the live cache (sources/kubernetes/live-cache.ts). */
export interface LiveReadModel {
  state(): Promise<LiveState>;
  /** The watch-fed objects Bosun applies (the sink's drift cache), when the read model has them. */
  readonly objects?: DriftCache;
}

export interface KubernetesDeviceFleetOptions {
  readonly client: KubeClient;
  readonly sink: KubernetesSink;
  readonly logger: Logger;
  /**
   * The shared live read model. With it the controller reads devices, processes, leases and
   * deployments from memory (incremental passes), and generated DeviceProcesses and statuses are
   * applied without a GET first.
   */
  readonly live?: LiveReadModel;
  /** Parallel deletes of targets (default 16). */
  readonly concurrency?: number;
}

/** The DeviceProcessDeployment controller's port (`DEVICE_FLEET`) on a real API server. */
export class KubernetesDeviceFleet implements DeviceFleet {
  private readonly client: KubeClient;
  private readonly sink: KubernetesSink;
  /** Present when there is a live read model: the controller then runs incremental passes. */
  readonly liveState?: (signal: AbortSignal) => Promise<LiveState>;
  /** The read model the controller last asked for: known, the fast paths skip their GETs. */
  private lastState: LiveState | undefined;

  constructor(private readonly options: KubernetesDeviceFleetOptions) {
    this.client = options.client;
    this.sink = options.sink;
    const live = options.live;
    if (live) {
      this.liveState = async (signal) => {
        signal.throwIfAborted();
        return (this.lastState = await live.state());
      };
    }
  }

  get(ref: ObjectRef, signal: AbortSignal): Promise<JsonObject | undefined> {
    return this.client.get(ref, signal);
  }

  async listDevices(signal: AbortSignal): Promise<Device[]> {
    const devices: Device[] = [];
    for (const kind of DEVICE_KINDS) {
      try {
        for await (const page of this.client.listPages(DEVICE_API, kind, { signal })) {
          for (const item of page.items) {
            devices.push({ kind, name: item.metadata.name, labels: item.metadata.labels ?? {} });
          }
        }
      } catch (error) {
        if (signal.aborted) throw error;
        // The kind's CRD is not installed: no devices of that kind.
        this.options.logger.debug({ kind, err: (error as Error).message }, "inventory kind not listed");
      }
    }
    return devices;
  }

  async listDeploymentProcesses(namespace: string, signal: AbortSignal): Promise<JsonObject[]> {
    const out: JsonObject[] = [];
    const labelSelector = `${Labels.managedBy}=${MANAGER},${Labels.deployment}`;
    const pages = this.client.listPages(DEVICE_API, "DeviceProcess", { namespace, labelSelector, signal });
    for await (const page of pages) out.push(...page.items);
    return out;
  }

  async heartbeats(namespace: string, signal: AbortSignal): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for await (const page of this.client.listPages("coordination.k8s.io/v1", "Lease", { namespace, signal })) {
      for (const lease of page.items) {
        if (!lease.metadata.name.startsWith(LEASE_PREFIX)) continue;
        const spec = (lease["spec"] ?? {}) as { renewTime?: string };
        const at = spec.renewTime ? Date.parse(spec.renewTime) : Number.NaN;
        if (!Number.isNaN(at)) out.set(lease.metadata.name.slice(LEASE_PREFIX.length), at);
      }
    }
    return out;
  }

  async applyTargets(objects: readonly JsonObject[], signal: AbortSignal): Promise<Change[]> {
    const state = this.lastState;
    if (!state) return this.sink.apply(objects, signal);
    const owner = new Map<string, string>();
    for (const o of objects) {
      const meta = (o["metadata"] ?? {}) as { name?: string; labels?: Record<string, string> };
      owner.set(String(meta.name), meta.labels?.[Labels.deployment] ?? "");
    }
    // One snapshot per deployment (copy-on-write maps: later watch events do not change it).
    const snapshots = new Map<string, ReadonlyMap<string, unknown>>();
    const known = (ref: ObjectRef): boolean => {
      const id = `${ref.namespace}/${owner.get(ref.name) ?? ""}`;
      let live = snapshots.get(id);
      if (!live) snapshots.set(id, (live = state.processes(ref.namespace, owner.get(ref.name) ?? "").value));
      return live.has(ref.name);
    };
    return applyTargetsDirect(this.client, objects, known, signal);
  }

  applyGenerated(objects: readonly JsonObject[], signal: AbortSignal): Promise<Change[]> {
    return this.sink.apply(objects, signal);
  }

  async listLabelled(
    apiVersion: string,
    kind: string,
    labels: Readonly<Record<string, string>>,
    signal: AbortSignal,
  ): Promise<JsonObject[]> {
    const labelSelector = Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(",");
    return (await this.client.list(apiVersion, kind, { labelSelector, signal })).items;
  }

  deleteTargets(refs: readonly ObjectRef[], signal: AbortSignal): Promise<Change[]> {
    signal.throwIfAborted();
    return mapLimit(refs, this.options.concurrency ?? 16, (ref) => this.sink.deleteObject(ref, signal, "Background"));
  }

  async writeStatus(ref: ObjectRef, status: JsonObject, signal: AbortSignal): Promise<void> {
    const metadata = { name: ref.name, namespace: ref.namespace };
    const body = { apiVersion: ref.apiVersion, kind: ref.kind, metadata, status };
    if (this.lastState) {
      // The live cache holds the deployment: apply the status without reading it back first.
      try {
        await this.client.applyStatus(body, { fieldManager: MANAGER, force: true, signal });
      } catch (err) {
        if (signal.aborted) throw err;
        throw sinkFailure(ref, err).error;
      }
      return;
    }
    const change = await this.sink.applyStatus(body, signal);
    if (change.error) throw change.error;
  }
}
