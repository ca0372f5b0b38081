import type { LiveProcess } from "../kinds/device-process/live-process.ts";
import type { Device } from "../model/device.ts";

export type JsonObject = Record<string, unknown>;

export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** What a backend did to one object (a ChangeSet entry). */
export interface Change {
  readonly action: "created" | "configured" | "unchanged" | "deleted" | "skipped";
  readonly ref: ObjectRef;
  readonly reason: string;
  /** Drifted or changed fields (JSON pointers), when known. */
  readonly fields?: readonly string[];
  /** Set when the action failed. */
  readonly error?: string;
}

export interface ApplySetOptions {
  readonly prune: boolean;
  /** Largest share (0..1) of managed objects one pass may delete. */
  readonly maxDeletionShare: number;
  /** The commit opted in to deleting more than that. */
  readonly allowMassDeletion: boolean;
  readonly signal: AbortSignal;
}

export interface ApplySetResult {
  readonly changes: readonly Change[];
  /** Set when the mass-deletion guard refused the prune. */
  readonly pruneRefused?: string;
}

export interface KubeEvent {
  readonly type: "Normal" | "Warning";
  readonly reason: string;
  readonly message: string;
}

/**
 * The cluster as the reconciler sees it: the port the Kubernetes adapter implements
 * (sinks/kubernetes/fleet-backend.ts). Everything here is I/O; the reconciler is not.
 */
export interface FleetBackend {
  /** Applies the desired set (server-side apply), prunes what Bosun applied before and no longer wants. */
  applySet(objects: readonly JsonObject[], options: ApplySetOptions): Promise<ApplySetResult>;
  get(ref: ObjectRef, signal: AbortSignal): Promise<JsonObject | undefined>;
  /** Every inventory device (NetworkSwitch, SOC, BMC, Server, DPU) in the cluster. */
  listDevices(signal: AbortSignal): Promise<Device[]>;
  /** DeviceProcesses in a namespace that Bosun rendered for deployments (label bosun.dev/deployment). */
  listDeploymentProcesses(namespace: string, signal: AbortSignal): Promise<JsonObject[]>;
  /** Device heartbeat Lease renew times (ms since epoch) by device, in a namespace. */
  heartbeats(namespace: string, signal: AbortSignal): Promise<Map<string, number>>;
  /** Applies generated objects without touching the set's inventory (rollout targets). */
  applyTargets(objects: readonly JsonObject[], signal: AbortSignal): Promise<Change[]>;
  deleteTargets(refs: readonly ObjectRef[], signal: AbortSignal): Promise<Change[]>;
  /**
   * Generated objects of other kinds (per-device RBAC): server-side applied, no write when
   * unchanged, outside the set's inventory; removed with deleteTargets.
   */
  applyGenerated(objects: readonly JsonObject[], signal: AbortSignal): Promise<Change[]>;
  /** Every object of a kind (all namespaces) that carries all these labels. */
  listLabelled(apiVersion: string, kind: string, labels: Readonly<Record<string, string>>, signal: AbortSignal): Promise<JsonObject[]>;
  writeStatus(ref: ObjectRef, status: JsonObject, signal: AbortSignal): Promise<void>;
  recordEvent(ref: ObjectRef & { uid?: string }, event: KubeEvent, signal: AbortSignal): Promise<void>;
  /**
   * A versioned read model of live state (fed by watches), when the backend keeps one: the
   * reconciler then reads from memory and re-steps only deployments whose inputs changed.
   */
  liveState?(signal: AbortSignal): Promise<LiveState>;
}

/** A value and its change version: the version changes whenever the value does (and only then, ideally). */
export interface Versioned<T> {
  readonly version: number;
  readonly value: T;
}

/** What the reconciler needs of a live DeviceProcessDeployment. */
export interface LiveDeployment {
  readonly uid: string | undefined;
  readonly generation: number;
  readonly status: JsonObject | undefined;
  /** When known (a watch feed): tells a real change from a repeated event. */
  readonly resourceVersion?: string | undefined;
}

/**
 * Live state as compact records with change versions (a value never changes without its version
 * changing). Versions come from one counter, so a version is never reused for another value.
 */
export interface LiveState {
  /** Every inventory device. */
  devices(): Versioned<readonly Device[]>;
  /** Live DeviceProcesses of one deployment, by name. */
  processes(namespace: string, deployment: string): Versioned<ReadonlyMap<string, LiveProcess>>;
  /** Device heartbeat Lease renew times (ms since epoch) by device. */
  heartbeats(namespace: string): Versioned<ReadonlyMap<string, number>>;
  /** The live DeviceProcessDeployment, undefined when it does not exist. */
  deployment(namespace: string, name: string): Versioned<LiveDeployment | undefined>;
}

/** One object's desired-vs-live comparison, as a plan shows it. */
export interface ObjectDiffSummary {
  readonly state: "missing" | "in-sync" | "changed" | "drifted";
  readonly fields: readonly { readonly pointer: string; readonly desired?: unknown; readonly live?: unknown }[];
}

/** The read side the plan needs: compare without writing anything. */
export interface LiveView {
  diff(objects: readonly JsonObject[], signal: AbortSignal): Promise<ObjectDiffSummary[]>;
  /** What Bosun applied before (its inventory): the candidates for deletion. */
  appliedInventory(signal: AbortSignal): Promise<ObjectRef[]>;
  listDevices(signal: AbortSignal): Promise<Device[]>;
  listDeploymentProcesses(namespace: string, signal: AbortSignal): Promise<JsonObject[]>;
  heartbeats(namespace: string, signal: AbortSignal): Promise<Map<string, number>>;
}
