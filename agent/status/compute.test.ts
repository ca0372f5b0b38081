import { describe, expect, it } from "vitest";
import { computePhase, computeStatus, type Observed } from "./compute.ts";

const base: Observed = {
  artifact: "Downloaded",
  process: "Running",
  health: "Healthy",
  restartCount: 0,
  lastTerminationReason: "",
  pid: 42,
  startTime: "2025-01-01T00:00:00Z",
  artifactVersion: "v1",
};
const T0 = "2025-01-01T00:00:00Z";
const T1 = "2025-01-01T00:01:00Z";

describe("status computation", () => {
  it("derives the phase", () => {
    expect(computePhase(base)).toBe("Running");
    expect(computePhase({ ...base, process: "NotStarted", artifact: "Pending" })).toBe("Pending");
    expect(computePhase({ ...base, process: "NotStarted", artifact: "Failed" })).toBe("Failed");
    expect(computePhase({ ...base, process: "Exited", exitSucceeded: true })).toBe("Succeeded");
    expect(computePhase({ ...base, process: "Exited", exitSucceeded: false })).toBe("Failed");
    expect(computePhase({ ...base, process: "Exited", willRestart: true })).toBe("Running");
    expect(computePhase({ ...base, process: "StartFailed", willRestart: true })).toBe("Pending");
    expect(computePhase({ ...base, unknown: true })).toBe("Unknown");
  });
  it("writes the three conditions, pid and startTime only while running", () => {
    const s = computeStatus(base, undefined, T0);
    expect(s.conditions.map((c) => [c.type, c.status])).toEqual([
      ["ArtifactDownloaded", "True"],
      ["ProcessStarted", "True"],
      ["Healthy", "True"],
    ]);
    expect(s.pid).toBe(42);
    expect(s.artifactVersion).toBe("v1");
    const exited = computeStatus({ ...base, process: "Exited" }, s.conditions, T1);
    expect(exited.pid).toBeUndefined();
    expect(exited.startTime).toBeUndefined();
  });
  it("keeps lastTransitionTime of unchanged conditions", () => {
    const s0 = computeStatus({ ...base, health: "Unknown" }, undefined, T0);
    const s1 = computeStatus(base, s0.conditions, T1);
    const byType = Object.fromEntries(s1.conditions.map((c) => [c.type, c.lastTransitionTime]));
    expect(byType).toEqual({ ArtifactDownloaded: T0, ProcessStarted: T0, Healthy: T1 });
  });
  it("reports an artifact failure with its reason while the old version keeps running", () => {
    const s = computeStatus(
      { ...base, artifact: "Failed", artifactReason: "ChecksumMismatch", artifactMessage: "bad" },
      undefined,
      T0,
    );
    expect(s.phase).toBe("Running");
    expect(s.conditions[0]).toMatchObject({
      type: "ArtifactDownloaded",
      status: "False",
      reason: "ChecksumMismatch",
      message: "bad",
    });
  });
  it("without a health check, Healthy follows the process", () => {
    expect(computeStatus({ ...base, health: "None" }, undefined, T0).conditions[2]?.status).toBe("True");
    expect(computeStatus({ ...base, health: "None", process: "Exited" }, undefined, T0).conditions[2]?.status).toBe(
      "False",
    );
  });
});
