/**
 * What the DeviceProcessDeployment controller needs of its backend besides the generic Sink: the
 * device inventory, the DeviceProcesses it rendered, heartbeats, and writes of targets, statuses
 * and generated RBAC. A backend offers it under `DEVICE_FLEET` (sinks/kubernetes, sinks/memory).
 */
import type { Device } from "../../model/device.ts";
import type { Change } from "../../model/change.ts";
import type { JsonObject, ObjectRef } from "../../model/object-ref.ts";
import type { Versioned } from "../../model/versioned.ts";
import { portKey } from "../../reconcile/ports.ts";
import type { LiveProcess } from "../device-process/live-process.ts";

/** What the controller needs of a live DeviceProcessDeployment. */
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

export interface DeviceFleet {
  get(ref: ObjectRef, signal: AbortSignal): Promise<JsonObject | undefined>;
  /** Every inventory device (NetworkSwitch, SOC, BMC, Server, DPU). */
  listDevices(signal: AbortSignal): Promise<Device[]>;
  /** DeviceProcesses in a namespace that Bosun rendered for deployments (label bosun.dev/deployment). */
  listDeploymentProcesses(namespace: string, signal: AbortSignal): Promise<JsonObject[]>;
  /** Device heartbeat Lease renew times (ms since epoch) by device, in a namespace. */
  heartbeats(namespace: string, signal: AbortSignal): Promise<Map<string, number>>;
  /** Applies rendered DeviceProcesses (rollout targets), outside the set's inventory. */
  applyTargets(objects: readonly JsonObject[], signal: AbortSignal): Promise<Change[]>;
  deleteTargets(refs: readonly ObjectRef[], signal: AbortSignal): Promise<Change[]>;
  /** Generated objects of other kinds (per-device RBAC): no write when unchanged; removed with deleteTargets. */
  applyGenerated(objects: readonly JsonObject[], signal: AbortSignal): Promise<Change[]>;
  /** Every object of a kind (all namespaces) that carries all these labels. */
  listLabelled(
    apiVersion: string,
    kind: string,
    labels: Readonly<Record<string, string>>,
    signal: AbortSignal,
  ): Promise<JsonObject[]>;
  writeStatus(ref: ObjectRef, status: JsonObject, signal: AbortSignal): Promise<void>;
  /**
   * A versioned read model of live state (fed by watches), when the backend keeps one: the
   * controller then reads from memory and re-steps only deployments whose inputs changed.
   */
  liveState?(signal: AbortSignal): Promise<LiveState>;
}

export const DEVICE_FLEET = portKey<DeviceFleet>("device-fleet");
