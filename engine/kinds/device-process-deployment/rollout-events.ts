import type { DeploymentStatus } from "./status.ts";
import type { FailingDevice, RolloutStep } from "./rollout.ts";
import type { FleetEvent } from "../../reconcile/ports.ts";

/** What the previous pass recorded in the deployment's status (read back from the cluster). */
export interface PreviousRollout {
  readonly revision?: string;
  readonly updated?: number;
  readonly progressingReason?: string;
  readonly failingDevices?: readonly string[];
  /** Approvals refused in the previous pass (status.approvalsRefused). */
  readonly approvalsRefused?: readonly string[];
}

/**
 * Kubernetes Events for what changed since the previous pass (seed 004 names): RolloutStarted,
 * RolloutProgress, WaitingForApproval, DeviceUnhealthy, plus ApprovalRefused for each newly refused
 * approval. Derived from status, so a restart does not repeat them.
 */
export function rolloutEvents(
  previous: PreviousRollout,
  step: RolloutStep,
  status: DeploymentStatus,
  version: string,
  approvalsRefused: readonly string[] = [],
): FleetEvent[] {
  const events: FleetEvent[] = [];
  const total = status.desiredNumberScheduled;
  if (previous.revision !== step.revision && step.phase !== "Complete") {
    events.push({
      type: "Normal",
      reason: "RolloutStarted",
      message: `Starting rollout of version ${version} (revision ${step.revision})`,
    });
  }
  if (
    previous.updated !== undefined &&
    previous.revision === step.revision &&
    previous.updated !== status.updatedNumberScheduled
  ) {
    events.push({
      type: "Normal",
      reason: "RolloutProgress",
      message: `Updated ${status.updatedNumberScheduled}/${total} devices`,
    });
  }
  const reason = status.conditions.find((c) => c.type === "Progressing")?.reason;
  if (reason === "WaitingForApproval" && previous.progressingReason !== "WaitingForApproval") {
    events.push({ type: "Normal", reason: "WaitingForApproval", message: step.message });
  }
  if (reason === "RolloutPaused" && previous.progressingReason !== "RolloutPaused") {
    events.push({ type: "Warning", reason: "RolloutPaused", message: step.message });
  }
  const refusedBefore = new Set(previous.approvalsRefused ?? []);
  for (const message of approvalsRefused) {
    if (!refusedBefore.has(message)) events.push({ type: "Warning", reason: "ApprovalRefused", message });
  }
  const before = new Set(previous.failingDevices ?? []);
  for (const f of step.failing) {
    if (!before.has(f.device)) events.push(unhealthy(f));
  }
  return events;
}

function unhealthy(f: FailingDevice): FleetEvent {
  return {
    type: "Warning",
    reason: "DeviceUnhealthy",
    message: `Device ${f.device}: ${f.state === "unreachable" ? "unreachable (heartbeat is stale)" : f.reason}`,
  };
}
