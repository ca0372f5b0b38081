/**
 * Status computation (pure): what the agent observed about one DeviceProcess → the status it
 * writes (phase, conditions with lastTransitionTime kept while a condition does not change).
 */
import type { Condition, ConditionType, DeviceProcessStatus, Phase } from "../model.ts";
import type { Health } from "../health/thresholds.ts";

export interface Observed {
  artifact: "Pending" | "Downloaded" | "Failed";
  artifactReason?: string;
  artifactMessage?: string;
  process: "NotStarted" | "Running" | "Exited" | "StartFailed";
  processMessage?: string;
  /** After Exited/StartFailed: the agent will start it again (restartPolicy). */
  willRestart?: boolean;
  /** After Exited: exit 0 without a health failure. */
  exitSucceeded?: boolean;
  /** "None" when the spec has no health check. */
  health: Health | "None";
  /** The agent cannot tell (e.g. the backend could not be queried). */
  unknown?: boolean;
  pid?: number;
  startTime?: string;
  artifactVersion?: string;
  restartCount: number;
  lastTerminationReason: string;
  observedGeneration?: number;
}

export function computePhase(o: Observed): Phase {
  if (o.unknown) return "Unknown";
  switch (o.process) {
    case "Running":
      return "Running";
    case "Exited":
      if (o.willRestart) return "Running";
      return o.exitSucceeded ? "Succeeded" : "Failed";
    case "StartFailed":
      return o.willRestart ? "Pending" : "Failed";
    case "NotStarted":
      return o.artifact === "Failed" ? "Failed" : "Pending";
  }
}

type Cond = Omit<Condition, "lastTransitionTime">;

function artifactCondition(o: Observed): Cond {
  if (o.artifact === "Downloaded") return { type: "ArtifactDownloaded", status: "True", reason: "ChecksumVerified" };
  if (o.artifact === "Failed") {
    return {
      type: "ArtifactDownloaded",
      status: "False",
      reason: o.artifactReason ?? "DownloadFailed",
      ...(o.artifactMessage ? { message: o.artifactMessage } : {}),
    };
  }
  return { type: "ArtifactDownloaded", status: "False", reason: "Downloading" };
}

function processCondition(o: Observed): Cond {
  const msg = o.processMessage ? { message: o.processMessage } : {};
  if (o.process === "Running") return { type: "ProcessStarted", status: "True", reason: "Started", ...msg };
  if (o.process === "StartFailed") return { type: "ProcessStarted", status: "False", reason: "StartFailed", ...msg };
  if (o.process === "Exited") return { type: "ProcessStarted", status: "False", reason: "Exited", ...msg };
  return { type: "ProcessStarted", status: "False", reason: "NotStarted", ...msg };
}

function healthCondition(o: Observed): Cond {
  if (o.process !== "Running") return { type: "Healthy", status: "False", reason: "NotRunning" };
  if (o.health === "None") return { type: "Healthy", status: "True", reason: "NoHealthCheck" };
  if (o.health === "Healthy") return { type: "Healthy", status: "True", reason: "HealthCheckPassed" };
  if (o.health === "Unhealthy") return { type: "Healthy", status: "False", reason: "HealthCheckFailed" };
  return { type: "Healthy", status: "Unknown", reason: "Probing" };
}

/** Keeps `lastTransitionTime` of a condition whose status did not change. */
export function mergeConditions(next: Cond[], previous: readonly Condition[] | undefined, now: string): Condition[] {
  return next.map((c) => {
    const prev = previous?.find((p) => p.type === c.type);
    const lastTransitionTime = prev && prev.status === c.status ? prev.lastTransitionTime : now;
    return { ...c, lastTransitionTime };
  });
}

export function computeStatus(
  o: Observed,
  previous: readonly Condition[] | undefined,
  now: string,
): DeviceProcessStatus {
  const conds = mergeConditions([artifactCondition(o), processCondition(o), healthCondition(o)], previous, now);
  const status: DeviceProcessStatus = {
    phase: computePhase(o),
    conditions: conds,
    restartCount: o.restartCount,
    lastTerminationReason: o.lastTerminationReason,
  };
  if (o.artifactVersion !== undefined) status.artifactVersion = o.artifactVersion;
  if (o.process === "Running" && o.pid !== undefined) status.pid = o.pid;
  if (o.process === "Running" && o.startTime !== undefined) status.startTime = o.startTime;
  if (o.observedGeneration !== undefined) status.observedGeneration = o.observedGeneration;
  return status;
}

export function conditionOf(
  status: { conditions?: Condition[] } | undefined,
  type: ConditionType,
): Condition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}
