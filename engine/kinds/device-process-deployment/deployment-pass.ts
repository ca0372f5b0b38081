import type { BosunConfig } from "../../desired/bosun-config.ts";
import type { LiveProcess } from "../device-process/live-process.ts";
import type { Deployment } from "./deployment.ts";
import { renderProcess, type Placement } from "./expand.ts";
import { rolloutStep, type RolloutStep } from "./rollout.ts";
import { deploymentStatus, type Condition, type DeploymentStatus } from "./status.ts";
import type { FleetObject } from "../../model/fleet-object.ts";
import type { ObjectStatus } from "../../status/types.ts";
import type { ApprovalCheck } from "../../rollout/approvals.ts";
import type { JsonObject, ObjectRef } from "../../model/object-ref.ts";
import type { EventRecorder, FleetEvent } from "../../reconcile/ports.ts";
import type { DeviceFleet, LiveDeployment } from "./ports.ts";
import { rolloutEvents, type PreviousRollout } from "./rollout-events.ts";

export interface DeploymentPassInput {
  readonly object: FleetObject;
  /** The object read by `readDeployment` (compiled selectors, revision). */
  readonly deployment: Deployment;
  /** `place(deployment, devices)`. */
  readonly placements: readonly Placement[];
  readonly config: BosunConfig;
  readonly approvals: ApprovalCheck;
  /** The live DeviceProcessDeployment (uid, generation, status), undefined when not there. */
  readonly liveDeployment: LiveDeployment | undefined;
  /** Live processes of this deployment by name. */
  readonly live: ReadonlyMap<string, LiveProcess>;
  readonly reachable: (device: string) => boolean;
  readonly now: Date;
  readonly commit: string;
}

export interface DeploymentPassResult {
  readonly status: ObjectStatus;
  readonly step: RolloutStep;
  readonly deploymentStatus: DeploymentStatus;
  /**
   * Every write of this pass succeeded (applies, deletes, status): the result may be reused while inputs stay the
   * same.
   */
  readonly clean: boolean;
  /** Approvals refused this pass that could be meant for the current rollout (see ApprovalCheck.refused). */
  readonly approvalsRefused: readonly string[];
}

/** How many revisions a deployment's status remembers (`status.revisionHistory`): their approvals are obsolete. */
export const REVISION_HISTORY_LIMIT = 10;

/** The fields of a live DeviceProcessDeployment the pass needs. */
export function toLiveDeployment(object: JsonObject | undefined): LiveDeployment | undefined {
  if (!object) return undefined;
  const meta = (object["metadata"] ?? {}) as JsonObject;
  return {
    uid: typeof meta["uid"] === "string" ? meta["uid"] : undefined,
    generation: typeof meta["generation"] === "number" ? meta["generation"] : 0,
    status: object["status"] as JsonObject | undefined,
  };
}

type Json = Record<string, unknown>;

/** Earlier revisions, newest first, without the current one (kept in status.revisionHistory). */
function nextHistory(live: LiveDeployment | undefined, current: string): string[] {
  const status = (live?.status ?? {}) as Json;
  const before = [
    ...(typeof status["revision"] === "string" ? [status["revision"]] : []),
    ...(Array.isArray(status["revisionHistory"]) ? status["revisionHistory"].map(String) : []),
  ];
  return [...new Set(before.filter((r) => r !== current))].slice(0, REVISION_HISTORY_LIMIT);
}

function previousOf(live: LiveDeployment | undefined): { previous: PreviousRollout; conditions: Condition[] } {
  const status = (live?.status ?? {}) as Json;
  const conditions = (Array.isArray(status["conditions"]) ? status["conditions"] : []) as Condition[];
  const failing = Array.isArray(status["failingDevices"])
    ? (status["failingDevices"] as Json[]).map((f) => String(f["device"]))
    : [];
  const previous: PreviousRollout = {
    ...(typeof status["revision"] === "string" ? { revision: status["revision"] } : {}),
    ...(typeof status["updatedNumberScheduled"] === "number" ? { updated: status["updatedNumberScheduled"] } : {}),
    ...(conditions.find((c) => c.type === "Progressing")?.reason
      ? { progressingReason: conditions.find((c) => c.type === "Progressing")?.reason as string }
      : {}),
    failingDevices: failing,
    approvalsRefused: Array.isArray(status["approvalsRefused"])
      ? (status["approvalsRefused"] as unknown[]).map(String)
      : [],
  };
  return { previous, conditions };
}

function versionOf(spec: Json): string {
  const artifact = (spec["artifact"] ?? {}) as Json;
  if (typeof artifact["version"] === "string") return artifact["version"];
  const url = String(artifact["url"] ?? "");
  return url.includes(":") ? (url.split(":").at(-1) ?? url) : url;
}

/**
 * One pass of one DeviceProcessDeployment: place devices into waves, compute the rollout step
 * from live state, apply and delete DeviceProcesses, write the status subresource and events.
 */
/** Where a deployment pass writes: the device fleet (targets, status) and the backend's events. */
export interface DeploymentPassPorts {
  readonly fleet: DeviceFleet;
  readonly events: EventRecorder;
}

export async function deploymentPass(
  ports: DeploymentPassPorts,
  input: DeploymentPassInput,
  signal: AbortSignal,
): Promise<DeploymentPassResult> {
  const backend = ports.fleet;
  const { deployment, placements, approvals, liveDeployment } = input;
  const ref: ObjectRef = {
    apiVersion: input.object.apiVersion,
    kind: input.object.kind,
    namespace: input.object.namespace,
    name: input.object.name,
  };
  const uid = liveDeployment?.uid;
  const generation = liveDeployment?.generation ?? 0;
  const { previous, conditions } = previousOf(liveDeployment);
  const step = rolloutStep({
    deployment,
    placements,
    live: input.live,
    approvedWaves: approvals.approved,
    reachable: input.reachable,
    maxFailing: input.config.status.maxFailingDevices,
  });
  const owner = uid ? { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, uid } : undefined;
  const applied =
    step.toApply.length > 0
      ? await backend.applyTargets(
          step.toApply.map((p) => renderProcess(deployment, p, owner)),
          signal,
        )
      : [];
  const deleted =
    step.toDelete.length > 0
      ? await backend.deleteTargets(
          step.toDelete.map((name) => ({
            apiVersion: "azure.com/v1alpha1",
            kind: "DeviceProcess",
            namespace: deployment.namespace,
            name,
          })),
          signal,
        )
      : [];
  const errors = [...applied, ...deleted].filter((c) => c.error !== undefined);

  const status = deploymentStatus({
    placements,
    live: input.live,
    step,
    generation,
    now: input.now.toISOString(),
    previous: conditions,
  });
  const statusBody: JsonObject = {
    ...status,
    revisionHistory: nextHistory(liveDeployment, step.revision),
    failingDevices: step.failing,
    failingTotal: step.failingTotal,
    approvalsRefused: approvals.refused,
    approvalsObsolete: approvals.obsolete,
  };
  if (liveDeployment) {
    await backend.writeStatus(ref, statusBody, signal);
    const events: FleetEvent[] = rolloutEvents(
      previous,
      step,
      status,
      versionOf(deployment.templateSpec as Json),
      approvals.refused,
    );
    for (const event of events) await ports.events.record({ ...ref, ...(uid ? { uid } : {}) }, event, signal);
  }

  const waveIndex = step.waves.findIndex((w) => w.state !== "done");
  const lastError = [
    ...errors.map((e) => e.error?.message ?? ""),
    ...approvals.refused,
    ...(step.phase === "Paused" ? [step.message] : []),
  ];
  return {
    step,
    deploymentStatus: status,
    clean: errors.length === 0,
    approvalsRefused: approvals.refused,
    status: {
      kind: ref.kind,
      namespace: ref.namespace,
      name: ref.name,
      source: `${input.object.source.file}:${input.object.source.line}`,
      observedCommit: input.commit,
      planDigest: step.revision,
      phase: step.phase === "Complete" ? "Ready" : step.phase,
      conditions: status.conditions.map((c) => ({
        type: c.type,
        status: c.status,
        reason: c.reason,
        message: c.message,
      })),
      counts: {
        desired: status.desiredNumberScheduled,
        current: status.currentNumberScheduled,
        ready: status.numberReady,
        available: status.numberAvailable,
        unavailable: status.numberUnavailable,
        updated: status.updatedNumberScheduled,
        failing: step.failingTotal,
      },
      wave: { current: waveIndex < 0 ? step.waves.length : waveIndex + 1, total: step.waves.length },
      waves: step.waves.map((w) => ({
        name: w.name,
        state: w.state,
        approval: w.approval,
        total: w.total,
        updated: w.updated,
        ready: w.ready,
        failed: w.failed,
        unreachable: w.unreachable,
      })),
      failingDevices: step.failing.map((f) => `${f.device} (${f.wave}): ${f.state}: ${f.reason}`),
      ...(step.failingTotal > step.failing.length
        ? { failingDevicesOmitted: step.failingTotal - step.failing.length }
        : {}),
      ...(lastError.length > 0 ? { lastError: lastError.join("; ") } : {}),
    },
  };
}
