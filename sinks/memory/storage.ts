import { canonicalJson } from "../../engine/kinds/canonical-json.ts";
import type { LiveProcess } from "../../engine/kinds/device-process/live-process.ts";
import { LiveStore } from "../../engine/kinds/device-process-deployment/live-store.ts";
import type { Inventory } from "../../engine/inventory/index.ts";
import { Labels, MANAGER, type Device } from "../../engine/model/device.ts";
import { refKey, refOf, type JsonObject, type ObjectRef } from "../../engine/model/object-ref.ts";

/** What the backend was asked to write, in order (when recording). */
export interface MemoryWrites {
  applied: string[];
  deleted: string[];
  statuses: string[];
  events: string[];
}

/** Counts of calls, for benchmarks and tests. */
export interface MemoryCalls {
  /** Sink.apply calls. */
  applies: number;
  /** Targets and generated objects applied. */
  applied: number;
  deleted: number;
  statuses: number;
  events: number;
  gets: number;
  lists: number;
}

/** One object the sink holds. */
export interface StoredObject {
  /** The live body as written (server fields are added by {@link MemoryStorage.view}). */
  body: JsonObject;
  /** `canonicalJson(body)`. */
  text: string;
  /** The desired object Bosun last applied: the same object again is unchanged without a text compare. */
  applied: JsonObject | undefined;
  appliedText: string | undefined;
  /** Changes on every write, from one counter (a resourceVersion). */
  version: number;
  uid: string;
  /** Carries Bosun's mark: prune may delete it. */
  marked: boolean;
  /** Another writer holds it: a Git change Bosun applies conflicts unless forced. */
  heldBy: string | undefined;
}

/**
 * The "cluster" of the in-memory backend: objects the sink applied, the compact live records the
 * device fleet reads (devices, DeviceProcesses, heartbeats, deployments), generated objects, the
 * inventories. Backend instances are views on it: a second instance on the same storage is an
 * engine restart. The out-of-band methods play other clients of the backend (tests).
 */
export class MemoryStorage {
  readonly store = new LiveStore();
  readonly objects = new Map<string, StoredObject>();
  /** Generated objects of other kinds (per-device RBAC), by `Kind/namespace/name`. */
  readonly generated = new Map<string, JsonObject>();
  readonly inventories = new Map<string, Inventory>();
  readonly writes: MemoryWrites = { applied: [], deleted: [], statuses: [], events: [] };
  readonly calls: MemoryCalls = { applies: 0, applied: 0, deleted: 0, statuses: 0, events: 0, gets: 0, lists: 0 };
  /** While true every sink, inventory and plan call fails as a transient error. */
  unreachable = false;
  private clock = 0;
  private uids = 0;

  constructor(readonly options: { readonly record?: boolean } = {}) {}

  get record(): boolean {
    return this.options.record === true;
  }

  nextVersion(): number {
    return ++this.clock;
  }

  nextUid(): string {
    return `uid-${++this.uids}`;
  }

  /** The live object as a reader sees it: uid, resourceVersion, and the managed-by label when marked. */
  view(stored: StoredObject): JsonObject {
    const meta = (stored.body["metadata"] ?? {}) as JsonObject;
    const { [Labels.managedBy]: _mark, ...labels } = (meta["labels"] ?? {}) as Record<string, string>;
    return {
      ...stored.body,
      metadata: {
        ...meta,
        uid: stored.uid,
        resourceVersion: String(stored.version),
        labels: stored.marked ? { ...labels, [Labels.managedBy]: MANAGER } : labels,
      },
    };
  }

  /** Keeps a DeviceProcessDeployment's live record in step with its object (generation moves with its spec). */
  deploymentWritten(ref: ObjectRef, specChanged: boolean): void {
    if (ref.kind !== "DeviceProcessDeployment") return;
    const live = this.store.deployment(ref.namespace, ref.name).value;
    if (live && !specChanged) return;
    const next = { uid: live?.uid ?? this.nextUid(), generation: (live?.generation ?? 0) + 1, status: live?.status };
    this.store.setDeployment(ref.namespace, ref.name, next);
  }

  /** Removes an object and what follows from it. */
  remove(ref: ObjectRef): boolean {
    if (!this.objects.delete(refKey(ref))) return false;
    if (ref.kind === "DeviceProcessDeployment") this.store.removeDeployment(ref.namespace, ref.name);
    return true;
  }

  addDevice(device: Device): void {
    this.store.upsertDevice(device);
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

  /** Another client creates an object (without Bosun's mark). */
  createOutOfBand(body: JsonObject): void {
    const ref = refOf(body);
    const key = refKey(ref);
    if (this.objects.has(key)) throw new Error(`${key} already exists`);
    this.objects.set(key, {
      body,
      text: canonicalJson(body),
      applied: undefined,
      appliedText: undefined,
      version: this.nextVersion(),
      uid: this.nextUid(),
      marked: false,
      heldBy: undefined,
    });
  }

  /** Another client edits an object; `holder` set: it also takes the object (a later Git change conflicts). */
  editOutOfBand(ref: ObjectRef, edit: (body: JsonObject) => JsonObject, holder?: string): void {
    const stored = this.stored(ref);
    stored.body = edit(structuredClone(stored.body));
    stored.text = canonicalJson(stored.body);
    stored.version = this.nextVersion();
    if (holder !== undefined) stored.heldBy = holder;
  }

  /** Another client removes Bosun's mark (the managed-by label). */
  removeMarkOutOfBand(ref: ObjectRef): void {
    const stored = this.stored(ref);
    stored.marked = false;
    stored.version = this.nextVersion();
  }

  deleteOutOfBand(ref: ObjectRef): void {
    if (!this.remove(ref)) throw new Error(`${refKey(ref)} does not exist`);
  }

  private stored(ref: ObjectRef): StoredObject {
    const stored = this.objects.get(refKey(ref));
    if (!stored) throw new Error(`${refKey(ref)} does not exist`);
    return stored;
  }
}
