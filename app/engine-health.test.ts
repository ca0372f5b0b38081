import { describe, expect, it } from "vitest";
import { livenessOf } from "./engine.ts";

describe("/healthz", () => {
  const limit = 15 * 60_000;
  it("is healthy while the loop runs and passes keep finishing", () => {
    expect(livenessOf({ running: true, lastPassAt: 1_000, startedAt: 0 }, 2_000, limit).ok).toBe(true);
    expect(livenessOf({ running: true, lastPassAt: undefined, startedAt: 0 }, limit, limit).ok).toBe(true);
  });
  it("is not healthy when the loop does not run or no pass finished for too long", () => {
    expect(livenessOf({ running: false, lastPassAt: 1_000, startedAt: 0 }, 2_000, limit)).toEqual({
      ok: false,
      text: "reconcile loop is not running\n",
    });
    const stuck = livenessOf({ running: true, lastPassAt: 0, startedAt: 0 }, limit + 1_000, limit);
    expect(stuck.ok).toBe(false);
    expect(stuck.text).toBe("no reconcile pass finished for 901 s (limit 900 s)\n");
  });
  it("is not healthy once the git server keeps refusing the credentials", () => {
    const at = (authFailures: number) =>
      livenessOf({ running: true, lastPassAt: 1_000, startedAt: 0, authFailures }, 2_000, limit);
    expect(at(2).ok).toBe(true);
    expect(at(3)).toEqual({
      ok: false,
      text: "the git server refused the credentials 3 times in a row; fix them (a restart re-reads them)\n",
    });
  });
});
