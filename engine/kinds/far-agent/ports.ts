/**
 * What the FARAgent controller needs of its backend besides the generic Sink (which writes the
 * agent records and the microVMs): the hosts and their capacity, one snapshot of every host's
 * microVMs per pass, a graceful stop, and the agents' status. The Flintlock backend offers it
 * under `MICROVM_FLEET` (sinks/flintlock).
 */
import type { JsonObject, ObjectRef } from "../../model/object-ref.ts";
import { portKey } from "../../reconcile/ports.ts";

/** The apiVersion/kind of the microVM objects the Flintlock sink writes (one per running agent). */
export const MICROVM_API_VERSION = "flintlock.bosun.dev/v1alpha1";
export const MICROVM_KIND = "MicroVM";
/** Labels Bosun puts on every microVM it creates for an agent. */
export const AGENT_LABEL = "far.bosun.dev/agent";
export const REVISION_LABEL = "far.bosun.dev/revision";

export interface HostInfo {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** What the host offers to microVMs. */
  readonly capacity: { readonly vcpu: number; readonly memoryMiB: number };
}

export type MicroVMState = "PENDING" | "CREATED" | "FAILED" | "DELETING";

export interface LiveMicroVM {
  readonly host: string;
  readonly uid: string;
  readonly namespace: string;
  /** The microVM's name (= the agent's name for Bosun's). */
  readonly name: string;
  readonly state: MicroVMState;
  readonly vcpu: number;
  readonly memoryMiB: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly managedByBosun: boolean;
  /** The spec as the host holds it matches the labels' digest (false: edited out of band). */
  readonly intact: boolean;
}

export interface HostSnapshot {
  readonly host: HostInfo;
  /** False when the host did not answer (down, hanging, garbage): its microVMs are unknown. */
  readonly reachable: boolean;
  readonly error?: string;
  readonly vms: readonly LiveMicroVM[];
}

/** What Bosun keeps in a FARAgent's status (the CR's status subresource), read back after a restart. */
export interface AgentStatus {
  readonly currentState?: string;
  readonly lastTransitionTime?: string;
  /** Where the agent's microVM runs, or where its kept root volume is while it sleeps. */
  readonly host?: string;
  readonly microvmUID?: string;
  readonly revision?: string;
  readonly reason?: string;
  readonly message?: string;
  readonly conditions?: readonly JsonObject[];
}

export interface MicroVMFleet {
  hosts(): readonly HostInfo[];
  /** Every host's microVMs in these namespaces (one List per host and namespace, in parallel). */
  snapshot(namespaces: readonly string[], signal: AbortSignal): Promise<HostSnapshot[]>;
  /** Deletes a microVM, asking the guest to power down within `graceMs` first (0: at once). */
  stop(host: string, uid: string, graceMs: number, signal: AbortSignal): Promise<void>;
  /** The status of these agents as last written (after a restart: where they were). */
  readStatuses(refs: readonly ObjectRef[], signal: AbortSignal): Promise<Map<string, AgentStatus>>;
  /** Writes an agent's status (best effort: a failure is thrown and retried next pass). */
  writeStatus(ref: ObjectRef, status: AgentStatus, signal: AbortSignal): Promise<void>;
}

export const MICROVM_FLEET = portKey<MicroVMFleet>("far-agent/microvm-fleet");
