import type { WaveTally } from "./observed-targets.ts";
import type { RolloutWave, WaveProgress, WaveState } from "./rollout-types.ts";

/** How many of a wave's reachable targets may fail while its success threshold still holds. */
export function allowedFailures(wave: RolloutWave, reachable: number): number {
  return Math.floor(reachable * (1 - wave.successThreshold) + 1e-9);
}

/**
 * What a wave does this step. `gateOpen`: every earlier wave is done. A wave pauses once its
 * failures make the threshold unreachable, waits while it needs an approval it lacks and has
 * targets to change, and is done when every reachable target runs the revision and is settled.
 */
export function waveState(wave: RolloutWave, tally: WaveTally, gateOpen: boolean, approved: boolean): WaveState {
  if (!gateOpen) return "blocked";
  if (tally.failed > allowedFailures(wave, tally.reachable)) return "paused";
  const toUpdate = tally.reachable - tally.updated;
  if (toUpdate > 0 && wave.approval === "required" && !approved) return "waiting-approval";
  if (toUpdate === 0 && tally.pending === 0) return "done";
  return "rolling";
}

export function waveProgress(wave: RolloutWave, state: WaveState, tally: WaveTally): WaveProgress {
  return {
    name: wave.name,
    approval: wave.approval,
    state,
    total: tally.total,
    updated: tally.updated,
    ready: tally.ready,
    failed: tally.failed,
    pending: tally.pending,
    unreachable: tally.total - tally.reachable,
    toUpdate: tally.reachable - tally.updated,
  };
}
