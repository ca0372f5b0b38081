/**
 * What the EdgeWorkload controller needs of its backend besides the Sink (which writes the
 * applications into fleet templates): the fleets and devices as Flightctl reports them, the batch
 * approval, and per-device application writes for workloads placed by device selector. The Flightctl
 * backend offers it under `EDGE_FLEET` (sinks/flightctl).
 */
import { portKey } from "../../reconcile/ports.ts";
import type { EdgeApplication } from "./workload.ts";

export type AppState =
  "Preparing" | "Starting" | "Running" | "Error" | "Unknown" | "Completed" | "Stopped" | "Stopping";

/** One device as the controller reads it. */
export interface EdgeDevice {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** `Fleet/<name>` when a fleet owns it. */
  readonly owner?: string;
  /** The applications in its rendered spec (JSON as Flightctl holds them). */
  readonly applications: readonly Readonly<Record<string, unknown>>[];
  /** Which of its applications Bosun put there, and for whom (application → `ns/name` or `pod:ns/name`). */
  readonly appOwners: Readonly<Record<string, string>>;
  /** Status per application name. */
  readonly appStates: Readonly<Record<string, AppState>>;
  /** The agent applied the rendered spec (status.config.renderedVersion = the rendered version). */
  readonly settled: boolean;
  /** When the device was last seen (ms since epoch; 0 when never). */
  readonly lastSeenMs: number;
  /** status.summary.status */
  readonly summary: string;
  /** What it offers (systemInfo cpuCores/memory when reported). */
  readonly capacity: { readonly cpuMilli: number; readonly memoryBytes: number };
  readonly resourceVersion: string;
}

export interface EdgeFleetState {
  readonly name: string;
  /** Fleet annotations (templateVersion, batchNumber, rolloutApproved …). */
  readonly annotations: Readonly<Record<string, string>>;
  /** The fleet's template applications. */
  readonly applications: readonly Readonly<Record<string, unknown>>[];
  /** Why Flightctl stopped the rollout (a batch below its success threshold), if it did. */
  readonly rolloutError?: string;
  readonly devices: readonly EdgeDevice[];
}

export interface EdgeFleet {
  /** The fleet and its devices; undefined when Flightctl has no such fleet. */
  fleet(name: string, signal: AbortSignal): Promise<EdgeFleetState | undefined>;
  /** Devices whose labels match (every device when no selector is given). */
  devices(selector: Readonly<Record<string, unknown>> | undefined, signal: AbortSignal): Promise<EdgeDevice[]>;
  /** Lets Flightctl start the fleet's next batch (`fleet-controller/rolloutApproved: "true"`). */
  approveBatch(fleet: string, signal: AbortSignal): Promise<void>;
  /**
   * Sets the applications `owner` (`ns/name`, or a Pod's key) keeps on one device outside a fleet:
   * its earlier ones are replaced, other applications kept; re-read and retried on 409.
   */
  setDeviceApplications(
    device: string,
    owner: string,
    apps: readonly EdgeApplication[],
    signal: AbortSignal,
  ): Promise<void>;
  /** The offline timeout: a device not seen for longer is unreachable. */
  readonly offlineTimeoutMs: number;
}

export const EDGE_FLEET = portKey<EdgeFleet>("edge-workload/edge-fleet");
