import { describe, expect, it } from "vitest";
import { targetRolloutStep } from "./rollout-step.ts";
import type { GroupBudget } from "./rollout-types.ts";
import { box, names, NEW, rolloutOf, type Box } from "./test-targets.ts";

/** Two boxes on each of hosts h0, h1, h2, in rollout order: h0-a, h0-b, h1-a, … */
function twoPerHost(overrides: Record<string, Partial<Box>> = {}): Box[] {
  const onHost = (host: string, name: string): Box => box(name, { host, ...overrides[name] });
  return ["h0", "h1", "h2"].flatMap((host) => [onHost(host, `${host}-a`), onHost(host, `${host}-b`)]);
}

const onePerHost: GroupBudget<Box> = { groupOf: (b) => b.host, maxUnavailablePerGroup: 1 };

describe("per-group budgets", () => {
  it("takes at most one target per host at a time with a group budget of 1", () => {
    const first = targetRolloutStep(rolloutOf(twoPerHost(), { maxUnavailable: 10, groupBudget: onePerHost }));
    expect(names(first.toApply)).toEqual(["h0-a", "h1-a", "h2-a"]);
    // Those three are on the revision, still starting: every host is at its budget.
    const starting = { revision: NEW, state: "pending" as const };
    const second = twoPerHost({ "h0-a": starting, "h1-a": starting, "h2-a": starting });
    expect(targetRolloutStep(rolloutOf(second, { maxUnavailable: 10, groupBudget: onePerHost })).toApply).toEqual([]);
    // Ready again: the second box of each host follows.
    const ready = { revision: NEW };
    const third = twoPerHost({ "h0-a": ready, "h1-a": ready, "h2-a": ready });
    const step = targetRolloutStep(rolloutOf(third, { maxUnavailable: 10, groupBudget: onePerHost }));
    expect(names(step.toApply)).toEqual(["h0-b", "h1-b", "h2-b"]);
  });

  it("takes no more targets down in a group that already has an unavailable one", () => {
    const targets = twoPerHost({ "h0-b": { state: "failed" }, "h1-a": { state: "unreachable" } });
    const step = targetRolloutStep(rolloutOf(targets, { maxUnavailable: 10, groupBudget: onePerHost }));
    // h0-b is already down: updated freely, but h0-a waits; an unreachable target takes no slot.
    expect(names(step.toApply)).toEqual(["h0-b", "h1-b", "h2-a"]);
  });

  it("takes a target only when both the overall and its group's budget allow", () => {
    const overall = targetRolloutStep(rolloutOf(twoPerHost(), { maxUnavailable: 2, groupBudget: onePerHost }));
    expect(names(overall.toApply)).toEqual(["h0-a", "h1-a"]);
    const oneDown = twoPerHost({ "h2-b": { state: "pending" } });
    const step = targetRolloutStep(rolloutOf(oneDown, { maxUnavailable: 3, groupBudget: onePerHost }));
    expect(names(step.toApply)).toEqual(["h2-b", "h0-a", "h1-a"]);
  });

  it("resolves a percentage against each group's size, rounding up", () => {
    const rack1 = ["r1-0", "r1-1", "r1-2", "r1-3"].map((name) => box(name, { host: "r1" }));
    const targets = [...rack1, box("r2-0", { host: "r2" })];
    const budget: GroupBudget<Box> = { groupOf: (b) => b.host, maxUnavailablePerGroup: "50%" };
    const step = targetRolloutStep(rolloutOf(targets, { maxUnavailable: 10, groupBudget: budget }));
    expect(names(step.toApply)).toEqual(["r1-0", "r1-1", "r2-0"]);
  });

  it("limits Recreate too: a group budget is a physical limit, not a rollout speed", () => {
    const step = targetRolloutStep(rolloutOf(twoPerHost(), { strategy: "Recreate", groupBudget: onePerHost }));
    expect(names(step.toApply)).toEqual(["h0-a", "h1-a", "h2-a"]);
  });
});
