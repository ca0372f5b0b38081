import { describe, expect, it } from "vitest";
import { targetRolloutStep } from "./rollout-step.ts";
import type { RolloutWave } from "./rollout-types.ts";
import { box, boxes, names, NEW, rolloutOf, type Box } from "./test-targets.ts";

const twoWaves: RolloutWave[] = [
  { name: "canary", approval: "auto", successThreshold: 1 },
  { name: "fleet", approval: "required", successThreshold: 1 },
];

describe("waves and approvals", () => {
  const canary = (fields: Partial<Box>): Box[] => boxes("c", 2, { wave: 0, ...fields });
  const fleet = boxes("f", 4, { wave: 1 });

  it("rolls out the first wave and blocks the later ones", () => {
    const targets = [...canary({ state: "missing", revision: "" }), ...fleet];
    const step = targetRolloutStep(rolloutOf(targets, { waves: twoWaves }));
    expect(names(step.toApply)).toEqual(["c-0", "c-1"]);
    expect(step.waves.map((w) => [w.name, w.state])).toEqual([
      ["canary", "rolling"],
      ["fleet", "blocked"],
    ]);
    expect(step.phase).toBe("Progressing");
    expect(step.message).toBe(`rolling out revision ${NEW}: wave canary`);
  });

  it("waits for an approval once the earlier wave is done, then opens the wave", () => {
    const targets = [...canary({ revision: NEW }), ...fleet];
    const waiting = targetRolloutStep(rolloutOf(targets, { waves: twoWaves }));
    expect(waiting.phase).toBe("WaitingForApproval");
    expect(waiting.message).toBe(`wave fleet waits for approval of revision ${NEW} (approve Box/demo --wave fleet)`);
    expect(waiting.toApply).toEqual([]);
    expect(waiting.waves.map((w) => w.state)).toEqual(["done", "waiting-approval"]);
    const approved = targetRolloutStep(rolloutOf(targets, { waves: twoWaves, approvedWaves: new Set(["fleet"]) }));
    expect(approved.phase).toBe("Progressing");
    expect(names(approved.toApply)).toEqual(["f-0", "f-1"]);
  });

  it("does not wait for an approval of a wave with nothing to change", () => {
    const step = targetRolloutStep(rolloutOf(boxes("x", 3, { revision: NEW }), { waves: twoWaves }));
    expect(step.phase).toBe("Complete");
    expect(step.message).toBe(`all boxes run revision ${NEW}`);
    expect(step.waves.map((w) => w.state)).toEqual(["done", "done"]);
  });

  it("keeps a wave rolling while targets on the revision are still pending", () => {
    const targets = [box("a", { revision: NEW, state: "pending" }), box("b", { revision: NEW })];
    const step = targetRolloutStep(rolloutOf(targets));
    expect(step.waves[0]).toMatchObject({ state: "rolling", updated: 2, ready: 1, pending: 1, toUpdate: 0 });
    expect(step.toApply).toEqual([]);
  });
});

describe("RollingUpdate budget", () => {
  it("takes at most maxUnavailable available targets down, in rollout order", () => {
    const step = targetRolloutStep(rolloutOf(boxes("b", 10), { maxUnavailable: 3 }));
    expect(names(step.toApply)).toEqual(["b-0", "b-1", "b-2"]);
    expect(step).toMatchObject({ maxUnavailable: 3, unavailable: 0 });
  });

  it("resolves a percentage against all targets, rounding up", () => {
    expect(targetRolloutStep(rolloutOf(boxes("b", 10), { maxUnavailable: "25%" })).maxUnavailable).toBe(3);
    expect(targetRolloutStep(rolloutOf(boxes("b", 10), { maxUnavailable: "1%" })).maxUnavailable).toBe(1);
  });

  it("counts targets already unavailable against the budget", () => {
    const targets = [box("new", { revision: NEW, state: "pending" }), ...boxes("b", 5)];
    const step = targetRolloutStep(rolloutOf(targets, { maxUnavailable: 3 }));
    expect(step.unavailable).toBe(1);
    expect(names(step.toApply)).toEqual(["b-0", "b-1"]);
  });

  it("updates targets already unavailable freely, first, even over the budget", () => {
    const targets = [...boxes("up", 2), box("down-0", { state: "failed" }), box("down-1", { state: "missing" })];
    const step = targetRolloutStep(rolloutOf(targets, { maxUnavailable: 1 }));
    expect(names(step.toApply)).toEqual(["down-0", "down-1"]);
  });
});

describe("Recreate", () => {
  it("updates the whole open wave at once, and only that wave", () => {
    const targets = [...boxes("c", 3, { wave: 0 }), ...boxes("f", 3, { wave: 1 })];
    const waves = twoWaves.map((w) => ({ ...w, approval: "auto" as const }));
    const step = targetRolloutStep(rolloutOf(targets, { strategy: "Recreate", waves }));
    expect(names(step.toApply)).toEqual(["c-0", "c-1", "c-2"]);
  });
});

describe("success thresholds", () => {
  const waves: RolloutWave[] = [{ name: "canary", approval: "auto", successThreshold: 0.75 }, twoWaves[1]!];

  it("pauses the rollout once failures on the revision exceed the wave's threshold", () => {
    const targets = [
      ...boxes("ok", 2, { revision: NEW }),
      ...boxes("bad", 2, { revision: NEW, state: "failed", reason: "crashloop" }),
      box("f-0", { wave: 1 }),
    ];
    const step = targetRolloutStep(rolloutOf(targets, { waves, approvedWaves: new Set(["fleet"]) }));
    expect(step.phase).toBe("Paused");
    expect(step.message).toBe(
      "wave canary: 2 of 4 boxes failed, over the 75% success threshold; " +
        "fix the boxes or the release, then push a new revision",
    );
    expect(step.waves.map((w) => w.state)).toEqual(["paused", "blocked"]);
    expect(step.toApply).toEqual([]);
  });

  it("completes a wave whose failures stay within the threshold", () => {
    const targets = [
      ...boxes("ok", 3, { revision: NEW }),
      box("bad", { revision: NEW, state: "failed" }),
      box("f-0", { wave: 1 }),
    ];
    const step = targetRolloutStep(rolloutOf(targets, { waves, approvedWaves: new Set(["fleet"]) }));
    expect(step.waves.map((w) => w.state)).toEqual(["done", "rolling"]);
    expect(names(step.toApply)).toEqual(["f-0"]);
  });

  it("does not count a failure of the old revision against the new one", () => {
    const targets = [...boxes("old-bad", 3, { state: "failed" }), box("ok")];
    const step = targetRolloutStep(rolloutOf(targets, { waves: [waves[0]!] }));
    expect(step.phase).toBe("Progressing");
    expect(step.waves[0]).toMatchObject({ failed: 0, toUpdate: 4 });
    expect(step.failingTotal).toBe(0);
  });
});

describe("unreachable targets", () => {
  it("skips them: not applied, not failed, not ready, not unavailable", () => {
    const targets = [box("gone", { state: "unreachable" }), ...boxes("b", 3)];
    const step = targetRolloutStep(rolloutOf(targets));
    expect(names(step.toApply)).toEqual(["b-0", "b-1"]);
    expect(step.unavailable).toBe(0);
    expect(step.waves[0]).toMatchObject({ total: 4, unreachable: 1, failed: 0, ready: 0, toUpdate: 3 });
    expect(step.failing).toEqual([{ name: "gone", wave: "all", state: "unreachable", reason: "host is silent" }]);
  });

  it("does not call the rollout Complete while they are behind, saying how many", () => {
    const one = targetRolloutStep(rolloutOf([box("gone", { state: "unreachable" }), box("b", { revision: NEW })]));
    expect(one.phase).toBe("Progressing");
    expect(one.toApply).toEqual([]);
    expect(one.waves[0]?.state).toBe("done");
    expect(one.message).toBe(`all reachable boxes run revision ${NEW}; 1 unreachable box does not yet`);
    const two = targetRolloutStep(rolloutOf(boxes("gone", 2, { state: "unreachable" })));
    expect(two.message).toBe(`all reachable boxes run revision ${NEW}; 2 unreachable boxes do not yet`);
    expect(two.phase).toBe("Progressing");
    const back = targetRolloutStep(
      rolloutOf([box("gone", { state: "ready", revision: NEW }), box("b", { revision: NEW })]),
    );
    expect(back.phase).toBe("Complete");
  });
});

describe("paused", () => {
  it("applies nothing and reports a progressing rollout as Paused", () => {
    const step = targetRolloutStep(rolloutOf(boxes("b", 3), { paused: true }));
    expect(step).toMatchObject({ phase: "Paused", message: "spec.paused is true", toApply: [] });
    expect(step.waves[0]?.state).toBe("rolling");
  });

  it("keeps a rollout waiting for an approval as WaitingForApproval", () => {
    const waves: RolloutWave[] = [{ name: "fleet", approval: "required", successThreshold: 1 }];
    expect(targetRolloutStep(rolloutOf(boxes("b", 3), { paused: true, waves })).phase).toBe("WaitingForApproval");
  });
});

describe("failing targets", () => {
  it("lists the first maxFailing in rollout order with their reasons and counts them all", () => {
    const targets = [
      box("a", { revision: NEW, state: "failed", reason: "exit 1" }),
      box("b", { state: "unreachable" }),
      ...boxes("c", 3, { revision: NEW, state: "failed" }),
    ];
    const waves: RolloutWave[] = [{ name: "all", approval: "auto", successThreshold: 0 }];
    const step = targetRolloutStep(rolloutOf(targets, { maxFailing: 2, waves }));
    expect(step.failingTotal).toBe(5);
    expect(step.failing).toEqual([
      { name: "a", wave: "all", state: "failed", reason: "exit 1" },
      { name: "b", wave: "all", state: "unreachable", reason: "host is silent" },
    ]);
  });
});

describe("accessors", () => {
  it("reads each target's state and revision once per step", () => {
    const targets = boxes("b", 50);
    const calls = { state: 0, revision: 0 };
    const base = rolloutOf(targets);
    targetRolloutStep({
      ...base,
      stateOf: (b) => (calls.state++, b.state),
      runsRevision: (b) => (calls.revision++, base.runsRevision(b)),
    });
    expect(calls).toEqual({ state: 50, revision: 50 });
  });

  it("gives the same step for the same input", () => {
    const input = rolloutOf([...boxes("a", 4), box("x", { state: "failed", revision: NEW })]);
    expect(targetRolloutStep(input)).toEqual(targetRolloutStep(input));
  });
});
