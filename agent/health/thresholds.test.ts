import { describe, expect, it } from "vitest";
import { INITIAL_HEALTH, healthConfig, recordProbe, type HealthState } from "./thresholds.ts";

const run = (results: boolean[], spec = {}) => {
  const cfg = healthConfig(spec);
  let s: HealthState = INITIAL_HEALTH;
  const transitions: string[] = [];
  for (const ok of results) {
    const out = recordProbe(s, ok, cfg);
    s = out.state;
    if (out.transition) transitions.push(out.transition);
  }
  return { s, transitions };
};

describe("health thresholds", () => {
  it("uses seed 004 defaults 30/5/1/3", () => {
    expect(healthConfig({})).toEqual({ periodMs: 30_000, timeoutMs: 5_000, successThreshold: 1, failureThreshold: 3 });
  });
  it("becomes healthy after successThreshold successes", () => {
    expect(run([true], {}).transitions).toEqual(["Healthy"]);
    expect(run([true], { successThreshold: 2 }).s.health).toBe("Unknown");
    expect(run([true, true], { successThreshold: 2 }).transitions).toEqual(["Healthy"]);
  });
  it("becomes unhealthy only after failureThreshold consecutive failures", () => {
    expect(run([true, false, false]).s.health).toBe("Healthy");
    expect(run([true, false, false, false]).transitions).toEqual(["Healthy", "Unhealthy"]);
    expect(run([true, false, false, true, false, false]).s.health).toBe("Healthy");
  });
  it("recovers after successThreshold successes", () => {
    const r = run([false, false, false, true, true], { successThreshold: 2 });
    expect(r.transitions).toEqual(["Unhealthy", "Healthy"]);
  });
});
