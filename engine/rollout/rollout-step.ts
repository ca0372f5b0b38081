import { failingTargets } from "./failing-targets.ts";
import { resolveMaxUnavailable } from "./max-unavailable.ts";
import { observeTargets, type ObservedTargets } from "./observed-targets.ts";
import {
  completeMessage,
  PAUSED_MESSAGE,
  rollingMessage,
  thresholdMissedMessage,
  unreachableBehindMessage,
  waitingForApprovalMessage,
} from "./rollout-messages.ts";
import type { RolloutPhase, TargetRolloutInput, TargetRolloutStep, WaveProgress } from "./rollout-types.ts";
import { targetsToApply } from "./targets-to-apply.ts";
import { waveProgress, waveState } from "./wave-state.ts";

/**
 * Computes the next step of a rollout over many targets (DaemonSet-style RollingUpdate or
 * Recreate, in ordered waves):
 * - a wave opens when every earlier wave is done and, if it requires approval, the approval for
 *   this revision is committed;
 * - a wave is done when each reachable target runs the revision and is settled, and the ready
 *   share meets the wave's success threshold; it pauses the rollout once failures make the
 *   threshold unreachable;
 * - RollingUpdate never takes more than maxUnavailable targets down: targets already unavailable
 *   (missing, failed, pending) are updated freely, available ones only within the budget;
 *   Recreate updates the whole open wave at once;
 * - with a group budget, an available target is also taken down only within its group's budget
 *   (under either strategy), its group's unavailable targets counting against it;
 * - unreachable targets are skipped and neither counted as failed nor as ready; while any is behind the
 *   revision the rollout is Progressing, never Complete.
 * Cost: `stateOf`, `runsRevision` and `waveOf` are called once per target (`groupOf` too when
 * available targets may be taken), `waveOf` again for the rolling wave's targets, `nameOf` and
 * `failureReason` for the listed failing targets only; per target it allocates one byte.
 */
export function targetRolloutStep<T>(input: TargetRolloutInput<T>): TargetRolloutStep<T> {
  const observed = observeTargets(input);
  const maxUnavailable = resolveMaxUnavailable(input.maxUnavailable, input.targets.length);
  const { waves, phase, message, rolling } = walkWaves(input, observed);
  const budget = input.strategy === "Recreate" ? Number.POSITIVE_INFINITY : maxUnavailable - observed.unavailable;
  const toApply = rolling >= 0 && !input.paused ? targetsToApply(input, observed, rolling, budget) : [];
  const { failing, total } = failingTargets(input, observed.codes);
  return {
    revision: input.revision,
    phase,
    message,
    waves,
    toApply,
    maxUnavailable,
    unavailable: observed.unavailable,
    failing,
    failingTotal: total,
  };
}

interface WaveWalk {
  readonly waves: WaveProgress[];
  readonly phase: RolloutPhase;
  readonly message: string;
  /** Index of the wave rolling now, -1 when none is. */
  readonly rolling: number;
}

/** Each wave's state in order; the first one not done sets the phase and the message. */
function walkWaves<T>(input: TargetRolloutInput<T>, observed: ObservedTargets): WaveWalk {
  const { revision, noun } = input;
  const waves: WaveProgress[] = [];
  let phase: RolloutPhase = "Complete";
  let message =
    observed.unreachableBehind > 0
      ? unreachableBehindMessage(revision, observed.unreachableBehind, noun)
      : completeMessage(revision, noun);
  let rolling = -1;
  let gateOpen = true;
  for (let index = 0; index < input.waves.length; index++) {
    const wave = input.waves[index]!;
    const tally = observed.waves[index]!;
    const state = waveState(wave, tally, gateOpen, input.approvedWaves.has(wave.name));
    if (state === "paused") {
      phase = "Paused";
      message = thresholdMissedMessage(wave, tally.failed, tally.reachable, noun);
    } else if (state === "waiting-approval") {
      phase = "WaitingForApproval";
      message = waitingForApprovalMessage(wave.name, revision, input.approveHint(wave.name));
    } else if (state === "rolling") {
      phase = input.paused ? "Paused" : "Progressing";
      message = input.paused ? PAUSED_MESSAGE : rollingMessage(revision, wave.name);
      rolling = index;
    }
    if (state !== "done") gateOpen = false;
    waves.push(waveProgress(wave, state, tally));
  }
  // Unreachable targets behind the revision have not run it, let alone reported: not Complete yet
  // (their waves still let later ones open; the rollout completes once they come back).
  if (phase === "Complete" && observed.unreachableBehind > 0) phase = "Progressing";
  return { waves, phase, message, rolling };
}
