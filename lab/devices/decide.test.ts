import { describe, expect, it } from "vitest";
import { compileFailure, isUnreachable, rolloutDelay } from "./decide.ts";
import { SimulatorError } from "./errors.ts";
import { matchesSelector, parseSelector } from "./selector.ts";

const names = Array.from({ length: 1000 }, (_, i) => `dev-${i}`);
const ctx = (
  device: string,
  labels: Record<string, string> = {},
  version = "v1",
): { device: string; labels: Record<string, string>; version: string } => ({ device, labels, version });

describe("decisions", () => {
  it("delays are jittered within the range and deterministic", () => {
    const ds = names.map((n) => rolloutDelay(1, [200, 800], n, "k"));
    expect(Math.min(...ds)).toBeGreaterThanOrEqual(200);
    expect(Math.max(...ds)).toBeLessThanOrEqual(800);
    expect(new Set(ds).size).toBeGreaterThan(100);
    expect(names.map((n) => rolloutDelay(1, [200, 800], n, "k"))).toEqual(ds);
    expect(names.map((n) => rolloutDelay(2, [200, 800], n, "k"))).not.toEqual(ds);
  });

  it("a failure share picks about that share of devices, the same ones every time", () => {
    const decide = compileFailure({ share: 0.1 }, 42);
    const failing = names.filter((n) => decide(ctx(n)) !== undefined);
    expect(failing.length).toBeGreaterThan(60);
    expect(failing.length).toBeLessThan(140);
    expect(names.filter((n) => compileFailure({ share: 0.1 }, 42)(ctx(n)) !== undefined)).toEqual(failing);
  });

  it("rules AND their criteria and OR across rules; the verdict carries the message", () => {
    const decide = compileFailure(
      [
        { selector: "sim.bosun.dev/fail=true", versions: ["v2"] },
        { devices: ["tor1-01"], message: "boom" },
      ],
      1,
    );
    expect(decide(ctx("a", { "sim.bosun.dev/fail": "true" }, "v2"))).toEqual({
      message: "health check failing: exit code 1",
      exitCode: 1,
      restarts: 3,
    });
    expect(decide(ctx("a", { "sim.bosun.dev/fail": "true" }, "v1"))).toBeUndefined();
    expect(decide(ctx("a", {}, "v2"))).toBeUndefined();
    expect(decide(ctx("tor1-01"))?.message).toBe("boom");
    expect(compileFailure({ devices: (d) => d.startsWith("soc") }, 1)(ctx("soc-node-01"))).toBeDefined();
    expect(compileFailure(undefined, 1)(ctx("x"))).toBeUndefined();
  });

  it("unreachable share is deterministic and validated", () => {
    const u = names.filter((n) => isUnreachable(3, n, 0.2));
    expect(u.length).toBeGreaterThan(140);
    expect(u.length).toBeLessThan(260);
    expect(names.filter((n) => isUnreachable(3, n, 0))).toEqual([]);
    expect(() => isUnreachable(3, "x", 1.5)).toThrow(SimulatorError);
  });
});

describe("label selectors", () => {
  it("supports equality, inequality, existence and sets", () => {
    const l = { type: "switch", role: "tor", rack: "rack1" };
    expect(matchesSelector(parseSelector("type=switch,role==tor"), l)).toBe(true);
    expect(matchesSelector(parseSelector("type!=switch"), l)).toBe(false);
    expect(matchesSelector(parseSelector("rack in (rack1, rack2),!site"), l)).toBe(true);
    expect(matchesSelector(parseSelector("rack notin (rack1)"), l)).toBe(false);
    expect(matchesSelector(parseSelector("site"), l)).toBe(false);
    expect(() => parseSelector("=x")).toThrow(SimulatorError);
  });
});
