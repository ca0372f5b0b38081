/**
 * What Bosun knows about one fleet kind, in one place: its schema, which backend applies it, the
 * checks a schema cannot express, how it is rendered for its backend, what a change disturbs, how
 * its health reads, and the controller that drives it after apply (rollouts). The reconcile core
 * and the plan only look kinds up here; they name none.
 */
import type { CheckContext } from "../desired/check-context.ts";
import type { DesiredState } from "../desired/load-fleet.ts";
import type { Diagnostic } from "../model/diagnostic.ts";
import type { FleetObject } from "../model/fleet-object.ts";
import type { JsonObject } from "../model/object-ref.ts";
import type { Backend, Change } from "../reconcile/ports.ts";
import type { ObjectStatus } from "../status/types.ts";
import type { Logger } from "../log/logger.ts";

/** How a kind takes part in a pass. */
export type KindRole =
  /** Written to its backend, pruned by inventory. */
  | "applied"
  /** Read from the cluster (devices), never written; reported as inventory. */
  | "inventory"
  /** Read by the engine itself (bosun.yaml, approvals), never applied. */
  | "engine-only";

/** Whether a live object is ready, by its kind's health mapping (dependsOn waits for Ready). */
export interface Health {
  readonly ready: boolean;
  readonly reason: string;
}

/** What an applied spec change does to what runs. */
export type ChangeDisruption = "restart" | "recreate";

export interface KindRegistration {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly role: KindRole;
  /** Strict JSON Schema of a Bosun kind (defaults applied by the loader); absent for kinds checked elsewhere. */
  readonly schema?: Record<string, unknown>;
  /** The backend that applies it (a name registered in app/); absent: `NotReconciled`. */
  readonly backend?: string;
  /** Rules a schema cannot say; runs on schema-valid documents. */
  readonly check?: (body: JsonObject, ctx: CheckContext) => Diagnostic[];
  /** Repo files a document of this kind uses as templates (not loaded as fleet files). */
  readonly templateFiles?: (body: JsonObject) => readonly string[];
  /** Extra labels its rendered manifest carries besides `app.kubernetes.io/managed-by`. */
  readonly labels?: (object: FleetObject) => Readonly<Record<string, string>>;
  /** Spec fields (JSON pointer prefixes) whose change disturbs what runs, and how. */
  readonly disruption?: { readonly of: ChangeDisruption; readonly fields: readonly RegExp[] };
  /** Reads readiness from the live object (default: it exists). */
  readonly health?: (live: JsonObject) => Health;
  /** Drives the kind after the generic pass applied it (expansion, rollouts, its own status). */
  readonly controller?: (backend: Backend, options: ControllerOptions) => KindController;
}

export interface ControllerOptions {
  readonly logger: Logger;
  readonly clock: () => Date;
  /** Reuse what did not change between passes (default true); false = the full reference pass. */
  readonly incremental: boolean;
  /** Targets whose heartbeat is older than this are unreachable. */
  readonly heartbeatStaleMs: number;
  readonly useHeartbeats: boolean;
}

export interface ControllerInput {
  /** This kind's objects that the generic pass applied (or found unchanged) this pass. */
  readonly objects: readonly FleetObject[];
  readonly desired: DesiredState;
  /** The generic pass's changes of those objects (failed ones carry an error). */
  readonly changes: ReadonlyMap<string, Change>;
  readonly commit: string;
  readonly now: Date;
  readonly signal: AbortSignal;
}

/** One object's rollout as the progress output and metrics see it. */
export interface RolloutReport {
  readonly object: FleetObject;
  readonly status: ObjectStatus;
  /** The rollout can still progress on its own: come back soon. */
  readonly progressing: boolean;
  /** One line for progress output; a later identical line is not repeated. */
  readonly summary: string;
  /** Why it waits or stopped (approval wanted, threshold missed), when it does. */
  readonly waiting?: string;
  /** Approvals refused that could be meant for this rollout (wrong revision or wave), for progress output. */
  readonly refusedApprovals?: readonly string[];
}

export interface ControllerOutput {
  /** One status per object (replaces the generic apply status). */
  readonly statuses: readonly ObjectStatus[];
  /** Writes the controller made (targets, generated objects), for metrics and progress. */
  readonly changes: readonly Change[];
  readonly rollouts: readonly RolloutReport[];
}

/** A planned rollout of one object: its targets grouped by wave, for `bosun plan`. */
export interface RolloutPlan {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly revision: string;
  readonly strategy: string;
  readonly maxUnavailable: number;
  /** Targets in all waves (devices, VMs, machines …). */
  readonly targets: number;
  /** What one target is, singular (`device`, `microVM`), for messages. */
  readonly unit: string;
  readonly waves: readonly WavePlan[];
  /** Targets no longer wanted (removed). */
  readonly toDelete: number;
  /** Objects the kind generates and how they change (a WorkloadCluster's Cluster API objects), for the plan. */
  readonly objects?: readonly GeneratedObjectChange[];
}

/** One generated object's change in a plan: action (create, update, delete, move, drift, invalid) and its fields. */
export interface GeneratedObjectChange {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly action: string;
  readonly fields: readonly { readonly pointer: string; readonly from?: string; readonly to?: string }[];
}

export interface WavePlan {
  readonly name: string;
  readonly targets: number;
  /** Targets that would get the new revision in this wave. */
  readonly toUpdate: number;
  readonly approval: "required" | "auto";
  /** A required approval for this revision is committed. */
  readonly approved: boolean;
  readonly disruption: "none" | ChangeDisruption;
  /** Names of the targets that would get the new revision in this wave (PR comment details), sorted. */
  readonly devices?: readonly string[];
}

export interface PlanInput {
  readonly objects: readonly FleetObject[];
  readonly desired: DesiredState;
  readonly now: Date;
  readonly signal: AbortSignal;
}

export interface KindController {
  reconcile(input: ControllerInput): Promise<ControllerOutput>;
  /** The rollouts this commit would start, read from live state without writing. */
  plan(input: PlanInput): Promise<RolloutPlan[]>;
}
