import { resolveMaxUnavailable } from "./max-unavailable.ts";
import type { GroupBudget } from "./rollout-types.ts";
import { unavailableCode } from "./target-codes.ts";

/** Per group: how many more of its targets may be taken down; per target: its group. */
export interface GroupBudgets {
  /** Group index of each target, by target index. */
  readonly groupOfTarget: Uint32Array;
  /** By group index: the group's budget minus its targets already unavailable (may be negative). */
  readonly remaining: number[];
}

/**
 * Resolves each group's budget against the group's size (percentages round up, at least 1) and
 * charges the targets already unavailable (`codes`, see target-codes.ts) to their group.
 */
export function groupBudgets<T>(targets: readonly T[], budget: GroupBudget<T>, codes: Uint8Array): GroupBudgets {
  const ids = new Map<string, number>();
  const sizes: number[] = [];
  const down: number[] = [];
  const groupOfTarget = new Uint32Array(targets.length);
  for (let i = 0; i < targets.length; i++) {
    const key = budget.groupOf(targets[i] as T);
    let group = ids.get(key);
    if (group === undefined) {
      group = sizes.length;
      ids.set(key, group);
      sizes.push(0);
      down.push(0);
    }
    groupOfTarget[i] = group;
    sizes[group]!++;
    if (unavailableCode(codes[i]!)) down[group]!++;
  }
  const remaining = sizes.map(
    (size, group) => resolveMaxUnavailable(budget.maxUnavailablePerGroup, size) - down[group]!,
  );
  return { groupOfTarget, remaining };
}

/** Takes one slot of the target's group budget; false (and nothing taken) when none is left. */
export function takeGroupSlot(groups: GroupBudgets, target: number): boolean {
  const group = groups.groupOfTarget[target]!;
  if (groups.remaining[group]! <= 0) return false;
  groups.remaining[group]!--;
  return true;
}
