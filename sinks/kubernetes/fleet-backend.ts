import { randomBytes } from "node:crypto";
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import type { KubeObject } from "../../clients/kubernetes/types.ts";
import { EMPTY_INVENTORY, makeInventory, type Inventory, type InventoryEntry } from "../../engine/inventory/index.ts";
import type { Logger } from "../../engine/log/logger.ts";
import { DEVICE_KINDS, Labels, MANAGER, type Device } from "../../engine/model/device.ts";
import type { ApplySetOptions, ApplySetResult, Change, FleetBackend, JsonObject, KubeEvent, LiveState, LiveView, ObjectDiffSummary, ObjectRef } from "../../engine/reconcile/ports.ts";
import type { ChangeSetEntry } from "./changeset.ts";
import { mapLimit } from "./order.ts";
import { reconcileSet } from "./prune.ts";
import type { KubernetesSink } from "./sink.ts";
import { applyTargetsDirect } from "./target-apply.ts";

const DEVICE_API = "azure.com/v1alpha1";
const LEASE_PREFIX = "bosun-device-";
const INVENTORY_CONFIGMAP = "bosun-inventory";

export interface KubernetesFleetBackendOptions {
  readonly client: KubeClient;
  readonly sink: KubernetesSink;
  readonly logger: Logger;
  /** Where Bosun keeps its inventory (what it applied) between passes and restarts. */
  readonly stateNamespace?: string;
  /** Component name on Events (default `bosun`). */
  readonly component?: string;
  /**
   * The shared live read model (sources/kubernetes/live-cache.ts). With it the reconciler reads
   * devices, processes, leases and deployments from memory (incremental passes), and generated
   * DeviceProcesses and statuses are applied without a GET first.
   */
  readonly live?: LiveReadModel;
}

/** What the backend needs of the live cache. */
export interface LiveReadModel {
  state(): Promise<LiveState>;
}

function toChange(e: ChangeSetEntry): Change {
  return {
    action: e.action, ref: e.ref, reason: e.reason,
    ...(e.fields ? { fields: e.fields.map((f) => f.pointer) } : {}),
    ...(e.error ? { error: e.error.message } : {}),
  };
}

/** FleetBackend and LiveView (engine/reconcile/ports.ts) on a real Kubernetes API server. */
export class KubernetesFleetBackend implements FleetBackend, LiveView {
  private inventory: Inventory | undefined;
  private readonly client: KubeClient;
  private readonly sink: KubernetesSink;
  private readonly stateNamespace: string;
  /** Present when the backend has a live read model: the reconciler then runs incremental passes. */
  readonly liveState?: (signal: AbortSignal) => Promise<LiveState>;
  private lastState: LiveState | undefined;

  constructor(private readonly options: KubernetesFleetBackendOptions) {
    this.client = options.client;
    this.sink = options.sink;
    this.stateNamespace = options.stateNamespace ?? "bosun-system";
    const live = options.live;
    if (live) {
      this.liveState = async (signal) => {
        signal.throwIfAborted();
        return (this.lastState = await live.state());
      };
    }
  }

  async applySet(objects: readonly JsonObject[], options: ApplySetOptions): Promise<ApplySetResult> {
    const previous = await this.loadInventory(options.signal);
    const result = await reconcileSet(this.sink, this.client, objects as unknown as KubeObject[], previous, {
      prune: options.prune,
      policy: { maxDeleteShare: options.maxDeletionShare, allowMassDeletion: options.allowMassDeletion },
      propagationPolicy: "Background",
      signal: options.signal,
    });
    await this.saveInventory(result.inventory, options.signal);
    return { changes: result.entries.map(toChange), ...(result.prune.refused ? { pruneRefused: `${result.prune.refused.type}: ${result.prune.refused.message}` } : {}) };
  }

  async diff(objects: readonly JsonObject[], signal: AbortSignal): Promise<ObjectDiffSummary[]> {
    return mapLimit(objects as unknown as KubeObject[], 16, async (o) => {
      try {
        const d = await this.sink.diff(o, signal);
        return { state: d.state, fields: d.fields.map((f) => ({ pointer: f.pointer, ...(f.desired !== undefined ? { desired: f.desired } : {}), ...(f.live !== undefined ? { live: f.live } : {}) })) };
      } catch (error) {
        // The kind is not served yet (its CRD comes with this commit): the object would be created.
        if (signal.aborted) throw error;
        return { state: "missing" as const, fields: [] };
      }
    });
  }

  async appliedInventory(signal: AbortSignal): Promise<ObjectRef[]> {
    return [...(await this.loadInventory(signal)).entries];
  }

  async get(ref: ObjectRef, signal: AbortSignal): Promise<JsonObject | undefined> {
    return (await this.client.get(ref, signal)) as JsonObject | undefined;
  }

  async listDevices(signal: AbortSignal): Promise<Device[]> {
    const devices: Device[] = [];
    for (const kind of DEVICE_KINDS) {
      try {
        for await (const page of this.client.listPages(DEVICE_API, kind, { signal })) {
          for (const item of page.items) devices.push({ kind, name: item.metadata.name, labels: item.metadata.labels ?? {} });
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
    for await (const page of this.client.listPages(DEVICE_API, "DeviceProcess", { namespace, labelSelector: `${Labels.managedBy}=${MANAGER},${Labels.deployment}`, signal })) {
      out.push(...(page.items as unknown as JsonObject[]));
    }
    return out;
  }

  async heartbeats(namespace: string, signal: AbortSignal): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for await (const page of this.client.listPages("coordination.k8s.io/v1", "Lease", { namespace, signal })) {
      for (const lease of page.items) {
        if (!lease.metadata.name.startsWith(LEASE_PREFIX)) continue;
        const spec = (lease["spec"] ?? {}) as { renewTime?: string; holderIdentity?: string };
        const at = spec.renewTime ? Date.parse(spec.renewTime) : Number.NaN;
        if (!Number.isNaN(at)) out.set(lease.metadata.name.slice(LEASE_PREFIX.length), at);
      }
    }
    return out;
  }

  async applyTargets(objects: readonly JsonObject[], signal: AbortSignal): Promise<Change[]> {
    const state = this.lastState;
    if (state) {
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
      return applyTargetsDirect(this.client, objects as unknown as KubeObject[], known, signal);
    }
    return (await this.sink.applyAll(objects as unknown as KubeObject[], signal)).map(toChange);
  }

  async applyGenerated(objects: readonly JsonObject[], signal: AbortSignal): Promise<Change[]> {
    return (await this.sink.applyAll(objects as unknown as KubeObject[], signal)).map(toChange);
  }

  async listLabelled(apiVersion: string, kind: string, labels: Readonly<Record<string, string>>, signal: AbortSignal): Promise<JsonObject[]> {
    const labelSelector = Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(",");
    const list = await this.client.list(apiVersion, kind, { labelSelector, signal });
    // List items carry no apiVersion/kind of their own.
    return list.items.map((o) => ({ ...(o as unknown as JsonObject), apiVersion, kind }));
  }

  async deleteTargets(refs: readonly ObjectRef[], signal: AbortSignal): Promise<Change[]> {
    const out: Change[] = [];
    for (const ref of refs) out.push(toChange(await this.sink.delete(ref, { propagationPolicy: "Background", signal })));
    return out;
  }

  async writeStatus(ref: ObjectRef, status: JsonObject, signal: AbortSignal): Promise<void> {
    if (this.lastState) {
      // The live cache holds the deployment: apply the status without reading it back first.
      await this.client.applyStatus({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace }, status }, { fieldManager: MANAGER, force: true, signal });
      return;
    }
    const entry = await this.sink.applyStatus({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace }, status }, signal);
    if (entry.error) throw entry.error;
  }

  async recordEvent(ref: ObjectRef & { uid?: string }, event: KubeEvent, signal: AbortSignal): Promise<void> {
    const now = new Date().toISOString();
    try {
      await this.client.create({
        apiVersion: "v1", kind: "Event",
        metadata: { name: `${ref.name}.${randomBytes(8).toString("hex")}`, namespace: ref.namespace },
        involvedObject: { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, namespace: ref.namespace, ...(ref.uid ? { uid: ref.uid } : {}) },
        reason: event.reason, message: event.message, type: event.type,
        source: { component: this.options.component ?? "bosun" },
        firstTimestamp: now, lastTimestamp: now, count: 1,
      }, { signal });
    } catch (error) {
      if (signal.aborted) throw error;
      this.options.logger.warn({ reason: event.reason, err: (error as Error).message }, "could not record event");
    }
  }

  private async loadInventory(signal: AbortSignal): Promise<Inventory> {
    if (this.inventory) return this.inventory;
    const cm = await this.client.get({ apiVersion: "v1", kind: "ConfigMap", namespace: this.stateNamespace, name: INVENTORY_CONFIGMAP }, signal);
    const text = (cm?.["data"] as Record<string, string> | undefined)?.["inventory.json"];
    this.inventory = text ? makeInventory(JSON.parse(text) as InventoryEntry[]) : EMPTY_INVENTORY;
    return this.inventory;
  }

  private async saveInventory(inventory: Inventory, signal: AbortSignal): Promise<void> {
    const text = JSON.stringify(inventory.entries);
    if (this.inventory && JSON.stringify(this.inventory.entries) === text && this.saved) return;
    await this.client.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: this.stateNamespace, labels: { [Labels.managedBy]: MANAGER } } }, { fieldManager: MANAGER, signal });
    await this.client.apply({
      apiVersion: "v1", kind: "ConfigMap",
      metadata: { name: INVENTORY_CONFIGMAP, namespace: this.stateNamespace, labels: { [Labels.managedBy]: MANAGER } },
      data: { "inventory.json": text },
    }, { fieldManager: MANAGER, force: true, signal });
    this.inventory = inventory;
    this.saved = true;
  }

  private saved = false;
}
