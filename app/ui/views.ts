/**
 * What the dashboard shows, as data: the views `/api` answers with and `/ui` renders (the read model fills them).
 */
import type { ObjectStatus } from "../../engine/index.ts";
import type { UiField } from "./redact.ts";

/** The few fields of a device the dashboard needs (the live cache's compact record). */
export interface UiDevice {
  readonly kind: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** A live process record (the live cache's compact record), as far as the dashboard reads it. */
export interface UiProcess {
  readonly device: string;
  readonly phase: string | undefined;
  readonly healthy: boolean | undefined;
  readonly observed: boolean;
}

/** Read side of the live cache: devices and their processes. */
export interface UiLiveSource {
  devices(): { readonly version: number; readonly value: readonly UiDevice[] };
  namespaces(): string[];
  processesIn(namespace: string): readonly { readonly deployment: string; readonly process: UiProcess }[];
}

/** One row of the fleet view: a fleet object from Git or a device from the live inventory. */
export interface FleetRow {
  readonly backend: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly phase: string;
  /** Fleet objects: `path:line` in the fleet repo; devices: absent. */
  readonly source?: string;
  readonly message?: string;
}

export interface FleetQuery {
  readonly backend?: string;
  readonly kind?: string;
  readonly phase?: string;
  /** Case-insensitive substring of namespace/name. */
  readonly q?: string;
  readonly offset?: number;
  readonly limit?: number;
}

export interface FleetPage {
  readonly total: number;
  readonly offset: number;
  readonly limit: number;
  readonly items: readonly FleetRow[];
  /** Counts over every row (not only the filtered ones), per backend, kind and phase. */
  readonly facets: {
    readonly backend: Readonly<Record<string, number>>;
    readonly kind: Readonly<Record<string, number>>;
    readonly phase: Readonly<Record<string, number>>;
  };
}

export interface WaveView {
  readonly name: string;
  readonly state: string;
  readonly approval: string;
  readonly total: number;
  readonly updated: number;
  readonly ready: number;
  readonly failed: number;
  readonly unreachable: number;
}

export interface RolloutView {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly phase: string;
  readonly summary: string;
  readonly waiting?: string;
  readonly waves: readonly WaveView[];
  readonly counts: Readonly<Record<string, number>>;
  /** Targets on the new revision not ready yet, against how many the strategy lets be unavailable at once. */
  readonly budget?: { readonly inFlight: number; readonly maxUnavailable: number };
  /** The wave that waits for an approval and the exact command that gives it. */
  readonly approval?: { readonly wave: string; readonly command: string };
  readonly failingDevices: readonly string[];
  readonly failingDevicesOmitted?: number;
  readonly refusedApprovals: readonly string[];
  readonly updatedAt: number;
}

export interface DriftView {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly apiVersion: string;
  readonly mode: "corrected" | "detect-only";
  readonly fields: readonly UiField[];
  readonly reason: string;
  readonly commit: string;
  readonly seenAt: number;
}

export interface PassView {
  readonly seq: number;
  readonly at: number;
  readonly outcome: string;
  readonly commit?: string;
  readonly statusCommit?: string;
  readonly objects?: number;
  readonly changes?: number;
  readonly written?: number;
  readonly planDigests: readonly string[];
  readonly detail?: string;
}

export interface ObjectView {
  readonly apiVersion: string;
  readonly backend: string;
  readonly status: ObjectStatus;
  /** The last changes Bosun made or saw on it (newest first). */
  readonly changes: readonly { readonly at: number; readonly action: string; readonly reason: string }[];
  readonly drift?: DriftView;
  readonly rollout?: RolloutView;
}

export interface EngineView {
  readonly startedAt: number;
  readonly lastPassAt?: number;
  readonly lastPassOutcome?: string;
  readonly appliedCommit?: string;
  /** No pass finished for `staleAfterMs`: what the page shows may be old. */
  readonly stale: boolean;
  readonly staleAfterMs: number;
}

export interface Summary {
  readonly engine: EngineView;
  readonly objects: number;
  readonly devices: number;
  readonly rollouts: { readonly total: number; readonly byPhase: Readonly<Record<string, number>> };
  readonly drifted: number;
  readonly phases: Readonly<Record<string, number>>;
  readonly seq: number;
}
