import { targetRolloutStep, type FailingTarget, type TargetNoun, type TargetRolloutStep } from "../../rollout/index.ts";
import { deviceState } from "../device-process/health.ts";
import type { LiveProcess } from "../device-process/live-process.ts";
import type { Deployment } from "./deployment.ts";
import type { Placement } from "./expand.ts";

export type { RolloutPhase, WaveProgress, WaveState } from "../../rollout/index.ts";

export interface FailingDevice {
  readonly device: string;
  readonly wave: string;
  readonly state: "failed" | "unreachable";
  readonly reason: string;
}

/** One step of a rollout, derived from live state alone: a restarted engine computes the same. */
export interface RolloutStep extends Omit<TargetRolloutStep<Placement>, "failing"> {
  /** Live processes of this deployment whose device no longer matches: delete them. */
  readonly toDelete: readonly string[];
  /** The first failing/unreachable devices (at most `maxFailing`), with reasons. */
  readonly failing: readonly FailingDevice[];
}

export interface RolloutInput {
  readonly deployment: Deployment;
  readonly placements: readonly Placement[];
  /** Live processes of this deployment by process name. */
  readonly live: ReadonlyMap<string, LiveProcess>;
  /** Waves approved for this deployment's current revision. */
  readonly approvedWaves: ReadonlySet<string>;
  readonly reachable: (device: string) => boolean;
  readonly maxFailing: number;
}

const DEVICES: TargetNoun = { singular: "device", plural: "devices" };

/**
 * The next rollout step of a DeviceProcessDeployment: the generic rollout of engine/rollout over
 * its placements (one target per matching device, in waves; see `targetRolloutStep`), plus the
 * live processes whose device no longer matches, to delete.
 */
export function rolloutStep(input: RolloutInput): RolloutStep {
  const { deployment, live } = input;
  const processOf = lastLookupCached(live);
  const step = targetRolloutStep<Placement>({
    revision: deployment.revision,
    strategy: deployment.strategy,
    maxUnavailable: deployment.maxUnavailable,
    waves: deployment.waves,
    paused: deployment.paused,
    targets: input.placements,
    waveOf: (p) => p.wave,
    stateOf: (p) => deviceState(processOf(p), input.reachable(p.device.name)),
    runsRevision: (p) => processOf(p)?.revision === deployment.revision,
    failureReason: (p, state) => failureReason(processOf(p), state),
    nameOf: (p) => p.device.name,
    approvedWaves: input.approvedWaves,
    approveHint: (wave) => `bosun approve DeviceProcessDeployment/${deployment.name} --wave ${wave}`,
    noun: DEVICES,
    maxFailing: input.maxFailing,
  });
  return {
    revision: step.revision,
    phase: step.phase,
    message: step.message,
    waves: step.waves,
    toApply: step.toApply,
    toDelete: unplaced(input.placements, live),
    maxUnavailable: step.maxUnavailable,
    unavailable: step.unavailable,
    failing: step.failing.map(toFailingDevice),
    failingTotal: step.failingTotal,
  };
}

/**
 * The live process of a placement, remembering the last one looked up: the rollout asks for a
 * target's state and revision in turn, so this halves the map lookups over 100,000 targets.
 */
function lastLookupCached(live: ReadonlyMap<string, LiveProcess>): (placement: Placement) => LiveProcess | undefined {
  let lastName: string | undefined;
  let last: LiveProcess | undefined;
  return (placement) => {
    if (placement.processName !== lastName) {
      lastName = placement.processName;
      last = live.get(lastName);
    }
    return last;
  };
}

function toFailingDevice(f: FailingTarget): FailingDevice {
  return { device: f.name, wave: f.wave, state: f.state, reason: f.reason };
}

function failureReason(process: LiveProcess | undefined, state: "failed" | "unreachable"): string {
  if (state === "unreachable") return "heartbeat is stale";
  return process?.reason ?? "reported Failed";
}

/** Names of live processes no placement wants, sorted. */
function unplaced(placements: readonly Placement[], live: ReadonlyMap<string, LiveProcess>): string[] {
  const wanted = new Set(placements.map((p) => p.processName));
  return [...live.keys()].filter((name) => !wanted.has(name)).sort();
}
