import { canonicalJson } from "../kinds/canonical-json.ts";
import type { LiveProcess } from "../kinds/device-process/live-process.ts";
import { Labels, type Device } from "../model/device.ts";
import { LiveStore } from "./live-store.ts";
import type { ApplySetOptions, ApplySetResult, Change, FleetBackend, JsonObject, KubeEvent, LiveState, ObjectRef } from "./ports.ts";

/** What an in-memory backend was asked to write, in order (when recording). */
export interface MemoryWrites {
  applied: string[];
  deleted: string[];
  statuses: string[];
  events: string[];
}

type Json = Record<string, unknown>;

const refKey = (r: { kind: string; namespace: string; name: string }): string => `${r.kind}/${r.namespace}/${r.name}`;

function refOf(o: JsonObject): ObjectRef {
  const m = (o["metadata"] ?? {}) as Json;
  return { apiVersion: String(o["apiVersion"]), kind: String(o["kind"]), namespace: String(m["namespace"] ?? ""), name: String(m["name"]) };
}

/** A DeviceProcess as the API would return it for a LiveProcess (the inverse of `toLiveProcess`). */
export function processObject(namespace: string, deployment: string, p: LiveProcess): JsonObject {
  const conditions: Json[] = p.healthy === undefined ? [] : [{ type: "Healthy", status: p.healthy ? "True" : "False", message: p.healthy ? "" : (p.reason ?? "") }];
  return {
    apiVersion: "azure.com/v1alpha1", kind: "DeviceProcess",
    metadata: {
      name: p.name, namespace, generation: 2,
      labels: { [Labels.device]: p.device, [Labels.deployment]: deployment, ...(p.revision !== undefined ? { [Labels.revision]: p.revision } : {}) },
    },
    status: {
      ...(p.observed ? { observedGeneration: 2 } : {}),
      ...(p.phase !== undefined ? { phase: p.phase } : {}),
      conditions, restartCount: p.restartCount,
      ...(p.reason !== undefined && p.healthy !== false ? { lastTerminationReason: p.reason } : {}),
    },
  };
}

/**
 * A FleetBackend held in memory: the "cluster" is a LiveStore of compact records, written
 * through the same port the Kubernetes backend implements. For benchmarks (dispatch without
 * a network) and for tests that compare the incremental path with the full one.
 */
export class MemoryFleetBackend implements FleetBackend {
  readonly store = new LiveStore();
  readonly writes: MemoryWrites = { applied: [], deleted: [], statuses: [], events: [] };
  /** Counts of calls, for benchmarks. */
  readonly calls = { applySet: 0, applied: 0, deleted: 0, statuses: 0, events: 0, gets: 0, lists: 0 };
  private readonly set = new Map<string, { object: JsonObject; text: string }>();
  /** Generated objects of other kinds (per-device RBAC) by ref key. */
  readonly generated = new Map<string, JsonObject>();
  private uids = 0;

  constructor(private readonly options: { readonly record?: boolean } = {}) {}

  addDevice(device: Device): void {
    this.store.upsertDevice(device);
  }

  async applySet(objects: readonly JsonObject[], options: ApplySetOptions): Promise<ApplySetResult> {
    this.calls.applySet++;
    const changes: Change[] = [];
    const wanted = new Set<string>();
    for (const object of objects) {
      const ref = refOf(object);
      const key = refKey(ref);
      wanted.add(key);
      const old = this.set.get(key);
      if (old?.object === object) {
        changes.push({ action: "unchanged", ref, reason: "in sync" });
        continue;
      }
      const text = canonicalJson(object);
      this.set.set(key, { object, text });
      if (old?.text === text) {
        changes.push({ action: "unchanged", ref, reason: "in sync" });
        continue;
      }
      if (ref.kind === "DeviceProcessDeployment") this.deploymentWritten(ref, old === undefined || canonicalJson(old.object["spec"]) !== canonicalJson(object["spec"]));
      changes.push(old ? { action: "configured", ref, reason: "configured" } : { action: "created", ref, reason: "created" });
    }
    const gone = [...this.set.keys()].filter((k) => !wanted.has(k));
    if (options.prune && gone.length > 0) {
      if (!options.allowMassDeletion && gone.length > Math.floor(this.set.size * options.maxDeletionShare)) {
        return { changes, pruneRefused: `MassDeletion: ${gone.length} of ${this.set.size} objects would be deleted` };
      }
      for (const key of gone) {
        const ref = refOf((this.set.get(key) as { object: JsonObject }).object);
        this.set.delete(key);
        if (ref.kind === "DeviceProcessDeployment") this.store.removeDeployment(ref.namespace, ref.name);
        changes.push({ action: "deleted", ref, reason: "pruned" });
      }
    }
    return { changes };
  }

  private deploymentWritten(ref: ObjectRef, specChanged: boolean): void {
    const live = this.store.deployment(ref.namespace, ref.name).value;
    if (live && !specChanged) return;
    this.store.setDeployment(ref.namespace, ref.name, { uid: live?.uid ?? `uid-${++this.uids}`, generation: (live?.generation ?? 0) + 1, status: live?.status });
  }

  async get(ref: ObjectRef): Promise<JsonObject | undefined> {
    this.calls.gets++;
    const live = this.store.deployment(ref.namespace, ref.name).value;
    if (ref.kind !== "DeviceProcessDeployment" || !live) return undefined;
    return { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace, generation: live.generation, ...(live.uid ? { uid: live.uid } : {}) }, ...(live.status ? { status: live.status } : {}) };
  }

  async listDevices(): Promise<Device[]> {
    this.calls.lists++;
    return [...this.store.devices().value];
  }

  async listDeploymentProcesses(namespace: string): Promise<JsonObject[]> {
    this.calls.lists++;
    return this.store.processesIn(namespace).map((p) => processObject(namespace, p.deployment, p.process));
  }

  async heartbeats(namespace: string): Promise<Map<string, number>> {
    this.calls.lists++;
    return new Map(this.store.heartbeats(namespace).value);
  }

  async applyTargets(objects: readonly JsonObject[]): Promise<Change[]> {
    return objects.map((object): Change => {
      const ref = refOf(object);
      const labels = ((object["metadata"] as Json)["labels"] ?? {}) as Record<string, string>;
      const deployment = labels[Labels.deployment] ?? "";
      const old = this.store.peekProcess(ref.namespace, deployment, ref.name);
      const revision = labels[Labels.revision];
      this.calls.applied++;
      if (this.options.record) this.writes.applied.push(`${ref.namespace}/${ref.name}@${revision}`);
      if (old?.revision === revision) return { action: "unchanged", ref, reason: "in sync" };
      // A new spec: the agent has not reported on it yet (observedGeneration behind).
      this.store.upsertProcess(ref.namespace, deployment, {
        name: ref.name, device: labels[Labels.device] ?? "", revision, phase: old?.phase, healthy: old?.healthy,
        restartCount: old?.restartCount ?? 0, observed: false, reason: old?.reason,
      });
      return old ? { action: "configured", ref, reason: "configured" } : { action: "created", ref, reason: "created" };
    });
  }

  async applyGenerated(objects: readonly JsonObject[]): Promise<Change[]> {
    return objects.map((object): Change => {
      const ref = refOf(object);
      const old = this.generated.get(refKey(ref));
      this.calls.applied++;
      if (old && canonicalJson(old) === canonicalJson(object)) return { action: "unchanged", ref, reason: "in sync" };
      this.generated.set(refKey(ref), object);
      return old ? { action: "configured", ref, reason: "configured" } : { action: "created", ref, reason: "created" };
    });
  }

  async listLabelled(apiVersion: string, kind: string, labels: Readonly<Record<string, string>>): Promise<JsonObject[]> {
    this.calls.lists++;
    return [...this.generated.values()].filter((object) => {
      const have = ((object["metadata"] as Json | undefined)?.["labels"] ?? {}) as Record<string, string>;
      return object["apiVersion"] === apiVersion && object["kind"] === kind && Object.entries(labels).every(([k, v]) => have[k] === v);
    });
  }

  async deleteTargets(refs: readonly ObjectRef[]): Promise<Change[]> {
    return refs.map((ref): Change => {
      this.calls.deleted++;
      if (this.generated.delete(refKey(ref))) return { action: "deleted", ref, reason: "deleted" };
      if (this.options.record) this.writes.deleted.push(`${ref.namespace}/${ref.name}`);
      this.store.removeProcess(ref.namespace, ref.name);
      return { action: "deleted", ref, reason: "deleted" };
    });
  }

  async writeStatus(ref: ObjectRef, status: JsonObject): Promise<void> {
    this.calls.statuses++;
    const live = this.store.deployment(ref.namespace, ref.name).value;
    if (!live) throw new Error(`${refKey(ref)} not found`);
    const changed = canonicalJson(live.status ?? null) !== canonicalJson(status);
    if (changed && this.options.record) this.writes.statuses.push(`${ref.namespace}/${ref.name} ${canonicalJson(status)}`);
    this.store.setDeployment(ref.namespace, ref.name, { ...live, status }, changed);
  }

  async recordEvent(ref: ObjectRef, event: KubeEvent): Promise<void> {
    this.calls.events++;
    if (this.options.record) this.writes.events.push(`${ref.namespace}/${ref.name} ${event.reason}: ${event.message}`);
  }

  async liveState(): Promise<LiveState> {
    return this.store;
  }

  /** Plays the device agents: every process not yet reporting on its spec gets `report(process)`. */
  agentsReport(report: (p: LiveProcess) => Pick<LiveProcess, "phase" | "healthy" | "reason">): number {
    let n = 0;
    for (const namespace of this.store.namespaces()) {
      for (const { deployment, process } of this.store.processesIn(namespace)) {
        if (process.observed) continue;
        this.store.upsertProcess(namespace, deployment, { ...process, ...report(process), observed: true });
        n++;
      }
    }
    return n;
  }
}
