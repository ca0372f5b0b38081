import { canonicalJson } from "../../engine/kinds/canonical-json.ts";
import type { DeviceFleet, LiveState } from "../../engine/kinds/device-process-deployment/ports.ts";
import type { Change } from "../../engine/model/change.ts";
import { Labels, type Device } from "../../engine/model/device.ts";
import { SinkError } from "../../engine/model/errors.ts";
import { describeRef, refKey, refOf, type JsonObject, type ObjectRef } from "../../engine/model/object-ref.ts";
import { processObject } from "./process-object.ts";
import type { MemoryStorage } from "./storage.ts";

/** Key of a generated object: `Kind/namespace/name`. */
export function generatedKey(r: { kind: string; namespace: string; name: string }): string {
  return `${r.kind}/${r.namespace}/${r.name}`;
}

function labelsOf(o: JsonObject): Record<string, string> {
  return (((o["metadata"] ?? {}) as JsonObject)["labels"] ?? {}) as Record<string, string>;
}

/**
 * The device fleet port on the in-memory storage: targets become compact LiveProcess records
 * (no API objects kept, so 100,000 devices stay small), statuses go to the deployment records,
 * generated objects to a map. The live read model is the storage's LiveStore itself.
 */
export class MemoryDeviceFleet implements DeviceFleet {
  constructor(private readonly storage: MemoryStorage) {}

  async get(ref: ObjectRef, signal: AbortSignal): Promise<JsonObject | undefined> {
    signal.throwIfAborted();
    this.storage.calls.gets++;
    if (ref.kind !== "DeviceProcessDeployment") {
      const stored = this.storage.objects.get(refKey(ref));
      return stored && this.storage.view(stored);
    }
    const live = this.storage.store.deployment(ref.namespace, ref.name).value;
    if (!live) return undefined;
    return {
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      metadata: {
        name: ref.name,
        namespace: ref.namespace,
        generation: live.generation,
        ...(live.uid ? { uid: live.uid } : {}),
      },
      ...(live.status ? { status: live.status } : {}),
    };
  }

  async listDevices(signal: AbortSignal): Promise<Device[]> {
    signal.throwIfAborted();
    this.storage.calls.lists++;
    return [...this.storage.store.devices().value];
  }

  async listDeploymentProcesses(namespace: string, signal: AbortSignal): Promise<JsonObject[]> {
    signal.throwIfAborted();
    this.storage.calls.lists++;
    return this.storage.store.processesIn(namespace).map((p) => processObject(namespace, p.deployment, p.process));
  }

  async heartbeats(namespace: string, signal: AbortSignal): Promise<Map<string, number>> {
    signal.throwIfAborted();
    this.storage.calls.lists++;
    return new Map(this.storage.store.heartbeats(namespace).value);
  }

  async applyTargets(objects: readonly JsonObject[], signal: AbortSignal): Promise<Change[]> {
    signal.throwIfAborted();
    const { store, calls, writes } = this.storage;
    return objects.map((object): Change => {
      const ref = refOf(object);
      const labels = labelsOf(object);
      const deployment = labels[Labels.deployment] ?? "";
      const old = store.peekProcess(ref.namespace, deployment, ref.name);
      const revision = labels[Labels.revision];
      calls.applied++;
      if (this.storage.record) writes.applied.push(`${ref.namespace}/${ref.name}@${revision}`);
      if (old?.revision === revision) return { action: "unchanged", ref, reason: "in sync" };
      // A new spec: the agent has not reported on it yet (observedGeneration behind).
      store.upsertProcess(ref.namespace, deployment, {
        name: ref.name,
        device: labels[Labels.device] ?? "",
        revision,
        phase: old?.phase,
        healthy: old?.healthy,
        restartCount: old?.restartCount ?? 0,
        observed: false,
        reason: old?.reason,
      });
      return old ? { action: "configured", ref, reason: "configured" } : { action: "created", ref, reason: "created" };
    });
  }

  async applyGenerated(objects: readonly JsonObject[], signal: AbortSignal): Promise<Change[]> {
    signal.throwIfAborted();
    return objects.map((object): Change => {
      const ref = refOf(object);
      const old = this.storage.generated.get(generatedKey(ref));
      this.storage.calls.applied++;
      if (old && canonicalJson(old) === canonicalJson(object)) return { action: "unchanged", ref, reason: "in sync" };
      this.storage.generated.set(generatedKey(ref), object);
      return old ? { action: "configured", ref, reason: "configured" } : { action: "created", ref, reason: "created" };
    });
  }

  async listLabelled(
    apiVersion: string,
    kind: string,
    labels: Readonly<Record<string, string>>,
    signal: AbortSignal,
  ): Promise<JsonObject[]> {
    signal.throwIfAborted();
    this.storage.calls.lists++;
    return [...this.storage.generated.values()].filter((object) => {
      const have = labelsOf(object);
      if (object["apiVersion"] !== apiVersion || object["kind"] !== kind) return false;
      return Object.entries(labels).every(([k, v]) => have[k] === v);
    });
  }

  async deleteTargets(refs: readonly ObjectRef[], signal: AbortSignal): Promise<Change[]> {
    signal.throwIfAborted();
    return refs.map((ref): Change => {
      this.storage.calls.deleted++;
      if (this.storage.generated.delete(generatedKey(ref))) return { action: "deleted", ref, reason: "deleted" };
      if (this.storage.record) this.storage.writes.deleted.push(`${ref.namespace}/${ref.name}`);
      this.storage.store.removeProcess(ref.namespace, ref.name);
      return { action: "deleted", ref, reason: "deleted" };
    });
  }

  async writeStatus(ref: ObjectRef, status: JsonObject, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.storage.calls.statuses++;
    const { store } = this.storage;
    const live = store.deployment(ref.namespace, ref.name).value;
    if (!live) throw new SinkError(describeRef(ref), "permanent", "NotFound: no such deployment");
    const changed = canonicalJson(live.status ?? null) !== canonicalJson(status);
    if (changed && this.storage.record) {
      this.storage.writes.statuses.push(`${ref.namespace}/${ref.name} ${canonicalJson(status)}`);
    }
    store.setDeployment(ref.namespace, ref.name, { ...live, status }, changed);
  }

  async liveState(signal: AbortSignal): Promise<LiveState> {
    signal.throwIfAborted();
    return this.storage.store;
  }
}
