import { describe, expect, it } from "vitest";
import { leaseObject, heartbeatPlan, microTime, renewOffsetMs } from "./lease.ts";
import { artifactVersionOf, processView } from "./process-view.ts";
import { statusPatch } from "./status-patch.ts";
import { kubeTime, renderFailed, renderRunning, renderUpdating } from "./status.ts";

const T0 = Date.parse("2025-11-17T10:00:00Z");
const done = {
  generation: 2,
  version: "v1.2.3",
  url: "ghcr.io/apollo/switch-agent:v1.2.3",
  startedAt: T0,
  finishedAt: T0 + 120_000,
  pid: 12345,
  upgraded: false,
};

describe("status rendering", () => {
  it("Running has the seed-004 shape with staggered transitions", () => {
    const s = renderRunning(done);
    expect(s).toMatchObject({
      phase: "Running",
      artifactVersion: "v1.2.3",
      pid: 12345,
      startTime: "2025-11-17T10:01:30Z",
      restartCount: 0,
      lastTerminationReason: "",
      observedGeneration: 2,
    });
    expect(s.conditions.map((c) => [c.type, c.status, c.lastTransitionTime])).toEqual([
      ["ArtifactDownloaded", "True", "2025-11-17T10:01:00Z"],
      ["ProcessStarted", "True", "2025-11-17T10:01:30Z"],
      ["Healthy", "True", "2025-11-17T10:02:00Z"],
    ]);
    for (const c of s.conditions) expect(c.reason).not.toBe("");
  });

  it("Updating is unavailable and keeps the installed version", () => {
    const s = renderUpdating({ generation: 3, url: "u", previousVersion: "v1.2.3", now: T0 });
    expect(s.phase).toBe("Pending");
    expect(s.conditions.find((c) => c.type === "Healthy")?.status).not.toBe("True");
    expect(s).toMatchObject({ artifactVersion: "v1.2.3", observedGeneration: 3, lastTerminationReason: "Upgraded" });
    expect(s.pid).toBeUndefined();
    expect(renderUpdating({ generation: 1, url: "u", now: T0 }).artifactVersion).toBeUndefined();
  });

  it("Failed carries the health message and exit code", () => {
    const s = renderFailed(done, { message: "health check failing: exit code 1", exitCode: 1, restarts: 3 });
    expect(s).toMatchObject({ phase: "Failed", restartCount: 3, lastTerminationReason: "Error: exit code 1" });
    expect(s.conditions.find((c) => c.type === "Healthy")).toMatchObject({
      status: "False",
      reason: "HealthCheckFailed",
      message: "health check failing: exit code 1",
    });
    expect(s.pid).toBeUndefined();
  });

  it("the merge patch clears pid/startTime of a process that is not running", () => {
    const p = statusPatch(renderUpdating({ generation: 1, url: "u", now: T0 })).status;
    expect(p).toMatchObject({
      pid: null,
      startTime: null,
      artifactVersion: null,
      phase: "Pending",
      lastTerminationReason: "",
    });
    expect(statusPatch(renderRunning(done)).status).toMatchObject({ pid: 12345, artifactVersion: "v1.2.3" });
  });

  it("times are RFC 3339 (seconds) and MicroTime (microseconds)", () => {
    expect(kubeTime(T0 + 999)).toBe("2025-11-17T10:00:00Z");
    expect(microTime(T0 + 5)).toBe("2025-11-17T10:00:00.005000Z");
  });
});

describe("process view", () => {
  it("reads device, version and a spec key that changes with the artifact", () => {
    const o = {
      apiVersion: "azure.com/v1alpha1",
      kind: "DeviceProcess",
      metadata: { name: "p", generation: 1, labels: { "bosun.dev/device": "tor1-01" } },
      spec: { deviceRef: { kind: "NetworkSwitch", name: "other" }, artifact: { type: "oci", url: "r/x:v1.0.0" } },
    };
    const v = processView(o);
    expect(v).toMatchObject({ device: "tor1-01", version: "v1.0.0", generation: 1 });
    const v2 = processView({
      ...o,
      metadata: { ...o.metadata, generation: 2 },
      spec: { ...o.spec, artifact: { type: "oci", url: "r/x:v1.1.0" } },
    });
    expect(v2.specKey).not.toBe(v.specKey);
    expect(processView({ ...o, metadata: { name: "q" } }).device).toBe("other");
  });

  it("artifactVersion: explicit version, else OCI tag, else checksum prefix", () => {
    expect(artifactVersionOf({ type: "oci", url: "a/b:v9", version: "v1" })).toBe("v1");
    expect(artifactVersionOf({ type: "oci", url: "host:5000/b:v9" })).toBe("v9");
    expect(artifactVersionOf({ type: "http", url: "https://h/x.tgz", checksumSHA256: "abcdef0123456789" })).toBe(
      "abcdef012345",
    );
  });
});

describe("leases", () => {
  it("has the agent's shape", () => {
    expect(leaseObject("tor1-01", "ns", 300, T0, T0 + 1)).toMatchObject({
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: "bosun-device-tor1-01", namespace: "ns", labels: { "bosun.dev/device": "tor1-01" } },
      spec: { holderIdentity: "tor1-01", leaseDurationSeconds: 300, renewTime: "2025-11-17T10:00:00.001000Z" },
    });
  });

  it("the renewal plan stays within a fifth of the QPS and the lease outlives the interval", () => {
    const small = heartbeatPlan(100, 50);
    expect(small).toEqual({ intervalMs: 120_000, durationSeconds: 300 });
    const big = heartbeatPlan(10_000, 50);
    expect(10_000 / (big.intervalMs / 1000)).toBeLessThanOrEqual(10);
    expect(big.durationSeconds * 1000).toBeGreaterThanOrEqual(big.intervalMs * 2);
    expect(renewOffsetMs(5, 10, 1000)).toBe(500);
  });
});
