import type { Condition } from "./model.ts";

/**
 * Sets a condition in a list (pure): `lastTransitionTime` moves only when the status changes, so rewriting the same
 * state does not look like a transition. Sorted by type (deterministic output).
 */
export function setCondition(
  list: readonly Condition[] | undefined,
  next: Omit<Condition, "lastTransitionTime">,
  now: Date,
): Condition[] {
  const prev = (list ?? []).find((c) => c.type === next.type);
  const lastTransitionTime = prev && prev.status === next.status ? prev.lastTransitionTime : now.toISOString();
  const c: Condition = { ...next, lastTransitionTime };
  return [...(list ?? []).filter((x) => x.type !== next.type), c].sort((a, b) =>
    a.type < b.type ? -1 : a.type > b.type ? 1 : 0,
  );
}

export function findCondition(list: readonly Condition[] | undefined, type: string): Condition | undefined {
  return (list ?? []).find((c) => c.type === type);
}
