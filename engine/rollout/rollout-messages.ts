import type { RolloutWave, TargetNoun } from "./rollout-types.ts";

/** The status messages of a rollout step; `noun` names the targets. */

export function completeMessage(revision: string, noun: TargetNoun): string {
  return `all ${noun.plural} run revision ${revision}`;
}

/** Complete but for unreachable targets that are not on the revision yet. */
export function unreachableBehindMessage(revision: string, behind: number, noun: TargetNoun): string {
  const they = behind === 1 ? `${noun.singular} does` : `${noun.plural} do`;
  return `all reachable ${noun.plural} run revision ${revision}; ${behind} unreachable ${they} not yet`;
}

export function thresholdMissedMessage(wave: RolloutWave, failed: number, reachable: number, noun: TargetNoun): string {
  const threshold = Math.round(wave.successThreshold * 100);
  return (
    `wave ${wave.name}: ${failed} of ${reachable} ${noun.plural} failed, ` +
    `over the ${threshold}% success threshold; fix the ${noun.plural} or the release, then push a new revision`
  );
}

export function waitingForApprovalMessage(wave: string, revision: string, approveHint: string): string {
  return `wave ${wave} waits for approval of revision ${revision} (${approveHint})`;
}

export function rollingMessage(revision: string, wave: string): string {
  return `rolling out revision ${revision}: wave ${wave}`;
}

export const PAUSED_MESSAGE = "spec.paused is true";
