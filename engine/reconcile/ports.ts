/**
 * The ports of the generic pass: what every backend implements. The engine applies, observes,
 * prunes by inventory and records inventory through these, for any backend (Kubernetes, Flintlock,
 * Proxmox, Flightctl …). Kind-specific needs (a rollout controller's devices and heartbeats)
 * are extra ports a backend offers by key (`BackendPorts`), looked up by that kind's controller.
 */
import type { Change } from "../model/change.ts";
import type { Inventory } from "../inventory/inventory.ts";
import type { JsonObject, ObjectRef } from "../model/object-ref.ts";

export type { Change, ChangeAction, ChangedField } from "../model/change.ts";
export type { JsonObject, ObjectRef } from "../model/object-ref.ts";

/** What a backend tells about one live object it holds. */
export interface Observed {
  readonly ref: ObjectRef;
  /** Carries Bosun's mark (`app.kubernetes.io/managed-by: bosun` or the backend's equivalent): prune may delete it. */
  readonly managedByBosun: boolean;
  /** The live object as the backend shows it (read by the kind's health mapping). */
  readonly object: JsonObject;
}

/**
 * Writes one backend. Per-object write failures come back as `Change.error` (a SinkError:
 * transient, permanent or conflict) so one bad object never stops the others; a read that fails
 * (`observe`, inventory) throws a SinkError and fails the pass, which the loop retries with backoff.
 * An aborted signal rejects with its reason and writes nothing more.
 */
export interface Sink {
  /** Creates or updates each object; an object already as desired is not written (`unchanged`). */
  apply(objects: readonly JsonObject[], signal: AbortSignal): Promise<Change[]>;
  /** Deletes each object and waits until it is gone; one already gone is `skipped` ("already gone"). */
  delete(refs: readonly ObjectRef[], signal: AbortSignal): Promise<Change[]>;
  /** The live objects, in order; undefined where absent. */
  observe(refs: readonly ObjectRef[], signal: AbortSignal): Promise<(Observed | undefined)[]>;
}

/** One object's desired-vs-live comparison, as a plan shows it. */
export interface ObjectDiffSummary {
  readonly state: "missing" | "in-sync" | "changed" | "drifted";
  readonly fields: readonly { readonly pointer: string; readonly desired?: unknown; readonly live?: unknown }[];
}

/** The read side `bosun plan` needs: compare without writing. */
export interface LiveSource {
  diff(objects: readonly JsonObject[], signal: AbortSignal): Promise<ObjectDiffSummary[]>;
}

/** What Bosun applied per backend, kept between passes and restarts: the only prune candidates. */
export interface InventoryStore {
  load(backend: string, signal: AbortSignal): Promise<Inventory>;
  save(backend: string, inventory: Inventory, signal: AbortSignal): Promise<void>;
}

/** A Kubernetes-style event on a fleet object (Normal/Warning, reason, message). */
export interface FleetEvent {
  readonly type: "Normal" | "Warning";
  readonly reason: string;
  readonly message: string;
}

export interface EventRecorder {
  /** Best effort: a failure is logged by the recorder, never thrown (except on abort). */
  record(ref: ObjectRef & { readonly uid?: string }, event: FleetEvent, signal: AbortSignal): Promise<void>;
}

/** A typed key for an extra port a backend may offer (see `BackendPorts`). */
export interface PortKey<T> {
  readonly id: string;
  /** Never set: carries the port's type. */
  readonly type?: T;
}

export function portKey<T>(id: string): PortKey<T> {
  return { id };
}

/** Extra ports by key, e.g. the device fleet a rollout controller reads and writes. */
export class BackendPorts {
  private readonly ports = new Map<string, unknown>();

  with<T>(key: PortKey<T>, port: T): this {
    this.ports.set(key.id, port);
    return this;
  }

  get<T>(key: PortKey<T>): T | undefined {
    return this.ports.get(key.id) as T | undefined;
  }
}

/** One backend as the engine sees it: registered once in app/ under its name. */
export interface Backend {
  /** Registration name, e.g. `kubernetes`; kinds name it (`KindRegistration.backend`). */
  readonly name: string;
  readonly sink: Sink;
  readonly live: LiveSource;
  readonly inventory: InventoryStore;
  readonly events: EventRecorder;
  readonly ports?: BackendPorts;
}
