import { groupBudgets, takeGroupSlot } from "./group-budgets.ts";
import type { ObservedTargets } from "./observed-targets.ts";
import type { TargetRolloutInput } from "./rollout-types.ts";
import { READY, stateCode, toUpdateCode } from "./target-codes.ts";

/**
 * The targets of the rolling wave `wave` to bring to the revision now, in rollout order: first
 * those already unavailable (missing, failed, pending: updating them takes nothing more down),
 * then available ones while `budget` (overall slots left; Infinity for Recreate) and their
 * group's budget, if any, both allow.
 */
export function targetsToApply<T>(
  input: TargetRolloutInput<T>,
  observed: ObservedTargets,
  wave: number,
  budget: number,
): T[] {
  const { targets, waveOf } = input;
  const { codes } = observed;
  const { first, last } = observed.waves[wave]!;
  const out: T[] = [];
  let available = 0;
  for (let i = first; i <= last; i++) {
    const code = codes[i]!;
    if (!toUpdateCode(code) || waveOf(targets[i] as T) !== wave) continue;
    if (stateCode(code) === READY) available++;
    else out.push(targets[i] as T);
  }
  if (available === 0 || budget <= 0) return out;
  const groups = input.groupBudget ? groupBudgets(targets, input.groupBudget, codes) : undefined;
  let left = budget;
  for (let i = first; i <= last && left > 0; i++) {
    const code = codes[i]!;
    if (!toUpdateCode(code) || stateCode(code) !== READY || waveOf(targets[i] as T) !== wave) continue;
    if (groups && !takeGroupSlot(groups, i)) continue;
    out.push(targets[i] as T);
    left--;
  }
  return out;
}
