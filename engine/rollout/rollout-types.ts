import type { MaxUnavailable } from "./max-unavailable.ts";
import type { TargetState } from "./target-state.ts";

/** One ordered wave of a rollout. */
export interface RolloutWave {
  readonly name: string;
  /** `required`: the wave opens only once a Git approval of the current revision names it. */
  readonly approval: "required" | "auto";
  /** Fraction 0..1 of the wave's reachable targets that must end up ready. */
  readonly successThreshold: number;
}

/** How messages name the targets: `{ singular: "device", plural: "devices" }`. */
export interface TargetNoun {
  readonly singular: string;
  readonly plural: string;
}

/**
 * A budget per group of targets (host, rack): an available target is taken down only while its
 * group has fewer than `maxUnavailablePerGroup` targets unavailable, on top of the overall budget.
 */
export interface GroupBudget<T> {
  /** The group a target belongs to, e.g. its host's name. */
  readonly groupOf: (target: T) => string;
  /** A count, or `"N%"` of the group's size (rounded up); at least 1 either way. */
  readonly maxUnavailablePerGroup: MaxUnavailable;
}

/** What one rollout step over many targets needs; the targets are read through accessors only. */
export interface TargetRolloutInput<T> {
  /** The revision every target should end up running. */
  readonly revision: string;
  readonly strategy: "RollingUpdate" | "Recreate";
  /** Overall budget of unavailable targets (RollingUpdate): a count or `"N%"` of all targets. */
  readonly maxUnavailable: MaxUnavailable;
  readonly waves: readonly RolloutWave[];
  /** Paused: nothing is applied and a progressing rollout reports phase Paused. */
  readonly paused: boolean;
  /** Every target, sorted in rollout order. */
  readonly targets: readonly T[];
  /** Index into `waves` of the wave a target belongs to. */
  readonly waveOf: (target: T) => number;
  readonly stateOf: (target: T) => TargetState;
  /** The target already runs `revision`. */
  readonly runsRevision: (target: T) => boolean;
  /** Why a failing target fails (`failed`) or is skipped (`unreachable`), for status. */
  readonly failureReason: (target: T, state: "failed" | "unreachable") => string;
  /** How status and messages name a target (a device's name, a microVM's host/name). */
  readonly nameOf: (target: T) => string;
  /** Waves approved for `revision`. */
  readonly approvedWaves: ReadonlySet<string>;
  /** How the waiting message says to approve a wave, e.g. `bosun approve Kind/name --wave fleet`. */
  readonly approveHint: (wave: string) => string;
  readonly noun: TargetNoun;
  /** At most this many failing targets are listed (all are counted). */
  readonly maxFailing: number;
  /** Optional per-group budgets (at most 1 microVM per host, 2 devices per rack). */
  readonly groupBudget?: GroupBudget<T>;
}

export type WaveState = "done" | "rolling" | "waiting-approval" | "paused" | "blocked";

export interface WaveProgress {
  readonly name: string;
  readonly approval: "required" | "auto";
  readonly state: WaveState;
  readonly total: number;
  readonly updated: number;
  readonly ready: number;
  readonly failed: number;
  readonly pending: number;
  readonly unreachable: number;
  /** Targets that would change in this wave (reachable, not yet on the revision). */
  readonly toUpdate: number;
}

export type RolloutPhase = "Complete" | "Progressing" | "WaitingForApproval" | "Paused";

/** A target listed as failing: failed on the revision, or unreachable. */
export interface FailingTarget {
  readonly name: string;
  readonly wave: string;
  readonly state: "failed" | "unreachable";
  readonly reason: string;
}

/** One step of a rollout, derived from observed state alone: a restarted engine computes the same. */
export interface TargetRolloutStep<T> {
  readonly revision: string;
  readonly phase: RolloutPhase;
  /** Why the rollout is not progressing (approval wanted, threshold missed), for status and events. */
  readonly message: string;
  readonly waves: readonly WaveProgress[];
  /** Targets to bring to the revision now, in rollout order. */
  readonly toApply: readonly T[];
  /** The overall budget as a count. */
  readonly maxUnavailable: number;
  /** Targets unavailable now (neither ready nor unreachable). */
  readonly unavailable: number;
  /** The first failing targets (at most `maxFailing`), in rollout order. */
  readonly failing: readonly FailingTarget[];
  readonly failingTotal: number;
}
