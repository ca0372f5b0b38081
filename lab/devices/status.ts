/**
 * DeviceProcess status as a device agent writes it (pure; seed 004 shape): phase, conditions
 * ArtifactDownloaded / ProcessStarted / Healthy with reasons and messages like agent/status, the
 * artifact version, pid, startTime, restartCount, lastTerminationReason, observedGeneration.
 */
import type { FailureVerdict } from "./decide.ts";

export type ConditionStatus = "True" | "False" | "Unknown";

export interface SimCondition {
  type: "ArtifactDownloaded" | "ProcessStarted" | "Healthy";
  status: ConditionStatus;
  lastTransitionTime: string;
  reason: string;
  message?: string;
}

export interface SimStatus {
  phase: "Pending" | "Running" | "Failed";
  conditions: SimCondition[];
  artifactVersion?: string;
  pid?: number;
  startTime?: string;
  restartCount: number;
  lastTerminationReason: string;
  observedGeneration: number;
}

/** Kubernetes metav1.Time: RFC 3339, seconds precision, UTC. */
export function kubeTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

export interface UpdatingInput {
  readonly generation: number;
  readonly url: string;
  /** The version still on the device (an upgrade), if any. */
  readonly previousVersion?: string;
  readonly now: number;
}

/** The agent has seen a new spec: old process stopped, artifact downloading. Unavailable. */
export function renderUpdating(i: UpdatingInput): SimStatus {
  const t = kubeTime(i.now);
  return {
    phase: "Pending",
    conditions: [
      {
        type: "ArtifactDownloaded",
        status: "False",
        lastTransitionTime: t,
        reason: "Downloading",
        message: `downloading ${i.url}`,
      },
      { type: "ProcessStarted", status: "False", lastTransitionTime: t, reason: "NotStarted" },
      { type: "Healthy", status: "Unknown", lastTransitionTime: t, reason: "NotRunning" },
    ],
    ...(i.previousVersion !== undefined ? { artifactVersion: i.previousVersion } : {}),
    restartCount: 0,
    lastTerminationReason: i.previousVersion !== undefined ? "Upgraded" : "",
    observedGeneration: i.generation,
  };
}

export interface DoneInput {
  readonly generation: number;
  readonly version: string;
  readonly url: string;
  /** When the agent saw the spec and when it finished (ms since epoch). */
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly pid: number;
  readonly upgraded: boolean;
}

/** Transition instants between seeing the spec and finishing: download done at 50 %, process started at 75 %. */
function instants(i: DoneInput): { downloaded: string; started: string; done: string } {
  const span = Math.max(0, i.finishedAt - i.startedAt);
  return {
    downloaded: kubeTime(i.startedAt + span * 0.5),
    started: kubeTime(i.startedAt + span * 0.75),
    done: kubeTime(i.finishedAt),
  };
}

/** The new version runs and passes its health check. Available. */
export function renderRunning(i: DoneInput): SimStatus {
  const t = instants(i);
  return {
    phase: "Running",
    conditions: [
      {
        type: "ArtifactDownloaded",
        status: "True",
        lastTransitionTime: t.downloaded,
        reason: "ChecksumVerified",
        message: `Successfully downloaded artifact from ${i.url}`,
      },
      {
        type: "ProcessStarted",
        status: "True",
        lastTransitionTime: t.started,
        reason: "Started",
        message: `Started process (PID: ${i.pid})`,
      },
      {
        type: "Healthy",
        status: "True",
        lastTransitionTime: t.done,
        reason: "HealthCheckPassed",
        message: "Health check passed",
      },
    ],
    artifactVersion: i.version,
    pid: i.pid,
    startTime: t.started,
    restartCount: 0,
    lastTerminationReason: i.upgraded ? "Upgraded" : "",
    observedGeneration: i.generation,
  };
}

/** The new version starts but its health check keeps failing; the agent gave up. */
export function renderFailed(i: DoneInput, v: FailureVerdict): SimStatus {
  const t = instants(i);
  return {
    phase: "Failed",
    conditions: [
      {
        type: "ArtifactDownloaded",
        status: "True",
        lastTransitionTime: t.downloaded,
        reason: "ChecksumVerified",
        message: `Successfully downloaded artifact from ${i.url}`,
      },
      { type: "ProcessStarted", status: "False", lastTransitionTime: t.done, reason: "Exited" },
      { type: "Healthy", status: "False", lastTransitionTime: t.done, reason: "HealthCheckFailed", message: v.message },
    ],
    artifactVersion: i.version,
    restartCount: v.restarts,
    lastTerminationReason: `Error: exit code ${v.exitCode}`,
    observedGeneration: i.generation,
  };
}
