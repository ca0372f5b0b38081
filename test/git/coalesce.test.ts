import { describe, expect, it } from "vitest";
import { inFlight, StatusCoalescer } from "../../engine/status/coalesce.ts";

const progressing = [{ phase: "Progressing" }, { phase: "Ready" }];
const settled = [{ phase: "Ready" }, { phase: "Ready" }];

describe("status commit coalescing", () => {
  it("a 2-minute rollout polled every 2 s makes at most 5 status commits, the last one the final state", () => {
    let now = 0;
    const c = new StatusCoalescer(() => now);
    const written: string[] = [];
    const pass = (objects: { phase: string }[], observedCommit = "c2"): void => {
      const input = { minIntervalSeconds: 30, phase: "Applied", observedCommit, objects };
      if (!c.shouldDefer(input)) {
        written.push(`${now / 1000}s ${inFlight(objects) ? "progressing" : "final"}`);
        c.committed(input);
      }
    };
    pass(settled, "c1"); // before the bump: settled
    now = 60_000;
    for (let t = 0; t < 120_000; t += 2_000) {
      now = 60_000 + t;
      pass(progressing);
    }
    now = 180_000;
    pass(settled); // the rollout completes at 2 minutes
    const rollout = written.slice(1);
    expect(rollout.length).toBeLessThanOrEqual(5);
    expect(rollout.at(-1)).toBe("180s final");
    expect(rollout[0]).toBe("60s progressing"); // the start is written at once
    expect(c.deferred).toBeGreaterThan(50);
  });

  it("never defers errors, a new commit, the final state, or anything with minIntervalSeconds 0", () => {
    let now = 0;
    const c = new StatusCoalescer(() => now);
    const base = { minIntervalSeconds: 30, phase: "Applied", observedCommit: "a", objects: progressing };
    c.committed(base);
    now = 1_000;
    expect(c.shouldDefer(base)).toBe(true);
    expect(c.shouldDefer({ ...base, phase: "Invalid", objects: undefined })).toBe(false);
    expect(c.shouldDefer({ ...base, phase: "FetchFailed", objects: undefined })).toBe(false);
    expect(c.shouldDefer({ ...base, observedCommit: "b" })).toBe(false);
    expect(c.shouldDefer({ ...base, objects: settled })).toBe(false);
    expect(c.shouldDefer({ ...base, minIntervalSeconds: 0 })).toBe(false);
    now = 30_000;
    expect(c.shouldDefer(base)).toBe(false);
  });

  it("writes the first in-flight state after a settled one at once (a rollout start is never held back)", () => {
    let now = 0;
    const c = new StatusCoalescer(() => now);
    const input = { minIntervalSeconds: 30, phase: "Applied", observedCommit: "a", objects: settled };
    c.committed(input);
    now = 1_000;
    expect(c.shouldDefer({ ...input, objects: progressing })).toBe(false);
  });
});
