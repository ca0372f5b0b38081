import { describe, expect, it } from "vitest";
import type { DeviceProcessSpec } from "../model.ts";
import { artifactVersionOf, buildLaunch, expandVars, parseQuantity } from "./launch.ts";

const spec: DeviceProcessSpec = {
  deviceRef: { kind: "NetworkSwitch", name: "tor1-01" },
  artifact: { type: "http", url: "https://a/x", checksumSHA256: "ab".repeat(32) },
  execution: {
    backend: "exec",
    command: ["$(BOSUN_ARTIFACT)"],
    args: ["--level", "$(LOG_LEVEL)", "$$(LOG_LEVEL)"],
    workingDir: "/opt/x",
  },
  resources: { limits: { memory: "64Mi", cpu: "250m" } },
};

describe("launch", () => {
  it("parses quantities", () => {
    expect(parseQuantity("512Mi")).toBe(512 * 1024 * 1024);
    expect(parseQuantity("500m")).toBe(0.5);
    expect(parseQuantity(2)).toBe(2);
    expect(parseQuantity("1G")).toBe(1e9);
    expect(() => parseQuantity("lots")).toThrow(/not a Kubernetes quantity/);
  });
  it("expands $(VAR), keeps $$(VAR) literal and unknown refs", () => {
    expect(expandVars("$(A)-$$(A)-$(B)", { A: "1" })).toBe("1-$(A)-$(B)");
  });
  it("builds argv, env and limits", () => {
    const l = buildLaunch({
      key: "infra/sw",
      spec,
      env: { LOG_LEVEL: "info" },
      artifactPath: "/var/a/bin",
      artifactSha256: "ab",
      artifactVersion: "v1",
      stopTimeoutSec: 10,
    });
    expect(l.argv).toEqual(["/var/a/bin", "--level", "info", "$(LOG_LEVEL)"]);
    expect(l.unitName).toBe("bosun-infra_sw");
    expect(l.env["BOSUN_ARTIFACT"]).toBe("/var/a/bin");
    expect(l.memoryMaxBytes).toBe(64 * 1024 * 1024);
    expect(l.cpuQuotaPercent).toBe(25);
    expect(l.restartPolicy).toBe("Always");
    expect(l.workingDir).toBe("/opt/x");
  });
  it("reports a version", () => {
    expect(artifactVersionOf(spec)).toBe("abababababab");
    expect(
      artifactVersionOf({ ...spec, artifact: { ...spec.artifact, type: "oci", url: "reg:5000/a/b:v1.2.3" } }),
    ).toBe("v1.2.3");
    expect(artifactVersionOf({ ...spec, artifact: { ...spec.artifact, version: "v9" } })).toBe("v9");
  });
});
