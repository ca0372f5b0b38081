import { describe, expect, it } from "vitest";
import { isSuccess, restartDelay, shouldRestart, terminationReason } from "./restart-policy.ts";

describe("restart policy", () => {
  it("Always restarts on any termination", () => {
    expect(shouldRestart("Always", { exitCode: 0 })).toBe(true);
    expect(shouldRestart("Always", { exitCode: 3 })).toBe(true);
  });
  it("OnFailure restarts on failures and health failures, not on exit 0", () => {
    expect(shouldRestart("OnFailure", { exitCode: 0 })).toBe(false);
    expect(shouldRestart("OnFailure", { exitCode: 1 })).toBe(true);
    expect(shouldRestart("OnFailure", { signal: "SIGKILL" })).toBe(true);
    expect(shouldRestart("OnFailure", { exitCode: 0, healthCheckFailed: true })).toBe(true);
    expect(shouldRestart("OnFailure", {})).toBe(true);
  });
  it("Never never restarts", () => {
    expect(shouldRestart("Never", { exitCode: 1 })).toBe(false);
    expect(shouldRestart("Never", { healthCheckFailed: true })).toBe(false);
  });
  it("names the termination", () => {
    expect(terminationReason({ exitCode: 0 })).toBe("Completed");
    expect(terminationReason({ exitCode: 2 })).toBe("Error: exit code 2");
    expect(terminationReason({ signal: "SIGTERM" })).toBe("Signal SIGTERM");
    expect(terminationReason({ healthCheckFailed: true, signal: "SIGTERM" })).toBe("HealthCheckFailed");
    expect(terminationReason({})).toMatch(/unknown/);
    expect(isSuccess({ exitCode: 0 })).toBe(true);
    expect(isSuccess({ exitCode: 0, healthCheckFailed: true })).toBe(false);
  });
  it("doubles the back-off and caps it", () => {
    expect([0, 1, 2, 3].map((n) => restartDelay(n, { baseMs: 100, maxMs: 500 }))).toEqual([100, 200, 400, 500]);
    expect(restartDelay(1000)).toBe(60_000);
  });
});
