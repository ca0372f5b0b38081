import type { Placement } from "./expand.ts";
import type { LiveProcess } from "../device-process/live-process.ts";
import type { RolloutStep } from "./rollout.ts";

export interface Condition {
  readonly type: string;
  readonly status: "True" | "False" | "Unknown";
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
}

/** The DeviceProcessDeployment status subresource (seed 004), plus Bosun's wave progress. */
export interface DeploymentStatus {
  readonly observedGeneration: number;
  readonly desiredNumberScheduled: number;
  readonly currentNumberScheduled: number;
  readonly numberReady: number;
  readonly numberAvailable: number;
  readonly numberUnavailable: number;
  readonly updatedNumberScheduled: number;
  readonly revision: string;
  /** The rollout's phase: Complete, Progressing, WaitingForApproval or Paused (kubectl's PHASE column). */
  readonly phase: string;
  /** `name(i/n)` of the first wave not done, `done(n/n)` once all are (kubectl's WAVE column). */
  readonly currentWave: string;
  readonly conditions: readonly Condition[];
  readonly waves: RolloutStep["waves"];
}

/** `canary(1/2)`: the first wave not done and its place; `done(2/2)` when every wave is (one word for kubectl). */
export function currentWaveOf(waves: RolloutStep["waves"]): string {
  const index = waves.findIndex((w) => w.state !== "done");
  return index < 0 ? `done(${waves.length}/${waves.length})` : `${waves[index]?.name}(${index + 1}/${waves.length})`;
}

function condition(
  type: string,
  status: Condition["status"],
  reason: string,
  message: string,
  now: string,
  previous: readonly Condition[],
): Condition {
  const prior = previous.find((c) => c.type === type);
  const lastTransitionTime = prior && prior.status === status ? prior.lastTransitionTime : now;
  return { type, status, reason, message, lastTransitionTime };
}

/**
 * Status from placements, live processes and the rollout step. `now` is passed in (the core
 * reads no clock); a condition keeps its transition time while its status stays the same.
 */
export function deploymentStatus(input: {
  placements: readonly Placement[];
  live: ReadonlyMap<string, LiveProcess>;
  step: RolloutStep;
  generation: number;
  now: string;
  previous: readonly Condition[];
}): DeploymentStatus {
  const { placements, live, step } = input;
  let current = 0;
  let ready = 0;
  let updated = 0;
  for (const p of placements) {
    const process = live.get(p.processName);
    if (!process) continue;
    current++;
    if (process.observed && process.phase === "Running" && process.healthy === true) ready++;
    if (process.revision === step.revision) updated++;
  }
  const desired = placements.length;
  const minAvailable = desired - step.maxUnavailable;
  const available = ready >= minAvailable;
  const progressing: [Condition["status"], string] =
    step.phase === "Complete"
      ? ["True", "RolloutComplete"]
      : step.phase === "Progressing"
        ? ["True", "RolloutInProgress"]
        : step.phase === "WaitingForApproval"
          ? ["False", "WaitingForApproval"]
          : ["False", "RolloutPaused"];
  return {
    observedGeneration: input.generation,
    desiredNumberScheduled: desired,
    currentNumberScheduled: current,
    numberReady: ready,
    numberAvailable: ready,
    numberUnavailable: desired - ready,
    updatedNumberScheduled: updated,
    revision: step.revision,
    phase: step.phase,
    currentWave: currentWaveOf(step.waves),
    conditions: [
      condition(
        "Available",
        available ? "True" : "False",
        available ? "MinimumDevicesAvailable" : "MinimumDevicesUnavailable",
        `${ready} of ${desired} devices are available`,
        input.now,
        input.previous,
      ),
      condition("Progressing", progressing[0], progressing[1], step.message, input.now, input.previous),
    ],
    waves: step.waves,
  };
}
