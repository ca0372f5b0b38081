import type { FailingTarget, TargetRolloutInput } from "./rollout-types.ts";
import { FAILED, runsRevisionCode, stateCode, UNREACHABLE } from "./target-codes.ts";

type Failing<T> = Pick<
  TargetRolloutInput<T>,
  "targets" | "waves" | "waveOf" | "nameOf" | "failureReason" | "maxFailing"
>;

/**
 * Targets failing the rollout, in rollout order: unreachable ones, and failed ones already on the
 * revision (a failure of the old revision is not this rollout's). The first `maxFailing` are listed.
 */
export function failingTargets<T>(input: Failing<T>, codes: Uint8Array): { failing: FailingTarget[]; total: number } {
  const failing: FailingTarget[] = [];
  let total = 0;
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i]!;
    const unreachable = stateCode(code) === UNREACHABLE;
    if (!unreachable && !(stateCode(code) === FAILED && runsRevisionCode(code))) continue;
    total++;
    if (failing.length >= input.maxFailing) continue;
    const target = input.targets[i] as T;
    const state = unreachable ? "unreachable" : "failed";
    const wave = input.waves[input.waveOf(target)]?.name ?? "";
    failing.push({ name: input.nameOf(target), wave, state, reason: input.failureReason(target, state) });
  }
  return { failing, total };
}
