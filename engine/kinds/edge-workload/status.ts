/** An EdgeWorkload's status in Git (and its metrics): phase, counts, waves, failing devices, conditions. */
import type { FleetObject } from "../../model/fleet-object.ts";
import type { ObjectStatus } from "../../status/types.ts";
import type { WorkloadEvaluation } from "./targets.ts";

export type EdgePhase = "Ready" | "Progressing" | "WaitingForApproval" | "Paused" | "Failed";

export function phaseOf(evaluation: WorkloadEvaluation, rolloutError?: string): EdgePhase {
  if (rolloutError) return "Paused";
  switch (evaluation.step.phase) {
    case "Complete":
      return "Ready";
    case "Progressing":
      return "Progressing";
    case "WaitingForApproval":
      return "WaitingForApproval";
    default:
      return "Paused";
  }
}

export function rolloutStatus(input: {
  readonly object: FleetObject;
  readonly commit: string;
  readonly evaluation: WorkloadEvaluation;
  readonly where: string;
  readonly rolloutError?: string;
}): ObjectStatus {
  const { evaluation: e, object } = input;
  const phase = phaseOf(e, input.rolloutError);
  const firstOpen = e.step.waves.findIndex((w) => w.state !== "done");
  const message = input.rolloutError
    ? `Flightctl stopped the rollout on ${input.where}: ${input.rolloutError}`
    : `${e.step.message} (${input.where})`;
  return {
    kind: object.kind,
    namespace: object.namespace,
    name: object.name,
    source: `${object.source.file}:${object.source.line}`,
    observedCommit: input.commit,
    phase,
    conditions: [
      {
        type: "Ready",
        status: phase === "Ready" ? "True" : "False",
        reason: phase === "Ready" ? "RolloutComplete" : phase,
        message,
      },
    ],
    counts: { ...e.counts },
    wave: { current: firstOpen < 0 ? e.step.waves.length : firstOpen + 1, total: e.step.waves.length },
    waves: e.step.waves.map((w) => ({
      name: w.name,
      state: w.state,
      approval: w.approval,
      total: w.total,
      updated: w.updated,
      ready: w.ready,
      failed: w.failed,
      unreachable: w.unreachable,
    })),
    ...(e.step.failing.length > 0
      ? {
          failingDevices: e.step.failing.map((f) => `${f.name} (${f.wave}): ${f.state}: ${f.reason}`),
          ...(e.step.failingTotal > e.step.failing.length
            ? { failingDevicesOmitted: e.step.failingTotal - e.step.failing.length }
            : {}),
        }
      : {}),
    ...(phase === "Paused" ? { lastError: message } : {}),
  };
}

/** A workload that could not be placed or written (bad fleet, selector, image): nothing else was touched. */
export function failedStatus(
  object: FleetObject,
  commit: string,
  reason: string,
  message: string,
  transient = false,
): ObjectStatus {
  return {
    kind: object.kind,
    namespace: object.namespace,
    name: object.name,
    source: `${object.source.file}:${object.source.line}`,
    observedCommit: commit,
    phase: transient ? "Progressing" : "Failed",
    conditions: [{ type: "Ready", status: "False", reason, message }],
    lastError: message,
  };
}
