/**
 * The generic rollout over many targets (DeviceProcesses, edge devices, microVMs on hosts,
 * machines): one step of waves, approvals, budgets and thresholds, and the approvals it reads.
 */
export { checkApprovals, approvalDocument, type ApprovalCheck, type ApprovalTarget } from "./approvals.ts";
export { percent, resolveMaxUnavailable, type MaxUnavailable } from "./max-unavailable.ts";
export { ReachabilityTracker, type Reachability } from "./reachability.ts";
export { targetRolloutStep } from "./rollout-step.ts";
export type {
  FailingTarget,
  GroupBudget,
  RolloutPhase,
  RolloutWave,
  TargetNoun,
  TargetRolloutInput,
  TargetRolloutStep,
  WaveProgress,
  WaveState,
} from "./rollout-types.ts";
export type { TargetState } from "./target-state.ts";
