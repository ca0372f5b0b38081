import { describe, expect, it } from "vitest";
import { defaultConfig } from "../../desired/bosun-config.ts";
import type { Device } from "../../model/device.ts";
import type { FleetObject } from "../../model/fleet-object.ts";
import type { LiveProcess } from "../device-process/live-process.ts";
import { readDeployment, REMAINING_WAVE, resolveMaxUnavailable } from "./deployment.ts";
import { place, renderProcess } from "./expand.ts";
import { rolloutStep, type RolloutInput } from "./rollout.ts";
import { deploymentStatus } from "./status.ts";

const devices: Device[] = Array.from({ length: 20 }, (_, i) => ({
  kind: "NetworkSwitch",
  name: `tor-${String(i).padStart(2, "0")}`,
  labels: { role: "tor", rack: i < 4 ? "rack1" : "rack2" },
}));

function deploymentObject(spec: Record<string, unknown>): FleetObject {
  const body = {
    apiVersion: "azure.com/v1alpha1",
    kind: "DeviceProcessDeployment",
    metadata: { name: "agent", namespace: "infra" },
    spec: {
      selector: { matchLabels: { role: "tor" } },
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 2 } },
      template: {
        spec: {
          artifact: { type: "oci", url: "ghcr.io/a:v1", checksumSHA256: "a".repeat(64) },
          execution: { backend: "exec", command: ["/a"] },
        },
      },
      ...spec,
    },
  };
  return {
    apiVersion: "azure.com/v1alpha1",
    kind: "DeviceProcessDeployment",
    namespace: "infra",
    name: "agent",
    body,
    source: { file: "a.yaml", line: 1, col: 1 },
  };
}

const waves = [
  { name: "canary", selector: { matchLabels: { rack: "rack1" } } },
  { name: "fleet", approval: "required" },
];

function live(
  revision: string,
  names: string[],
  state: "ready" | "failed" | "pending" = "ready",
): Map<string, LiveProcess> {
  return new Map(
    names.map((n) => [
      `agent-${n}`,
      {
        name: `agent-${n}`,
        device: n,
        revision,
        restartCount: 0,
        observed: true,
        reason: state === "failed" ? "health check failing" : undefined,
        phase: state === "failed" ? "Failed" : state === "ready" ? "Running" : "Pending",
        healthy: state === "ready" ? true : state === "failed" ? false : undefined,
      },
    ]),
  );
}

function input(
  spec: Record<string, unknown>,
  liveProcesses: Map<string, LiveProcess>,
  approved: string[] = [],
): RolloutInput {
  const deployment = readDeployment(deploymentObject(spec), defaultConfig);
  return {
    deployment,
    placements: place(deployment, devices),
    live: liveProcesses,
    approvedWaves: new Set(approved),
    reachable: () => true,
    maxFailing: 3,
  };
}

const names = devices.map((d) => d.name);

describe("rollout step", () => {
  it("creates every missing process of the open wave and stops at a wave that needs approval", () => {
    const step = rolloutStep(input({ waves }, new Map()));
    expect(step.toApply.map((p) => p.device.name)).toEqual(["tor-00", "tor-01", "tor-02", "tor-03"]);
    expect(step.waves.map((w) => [w.name, w.state])).toEqual([
      ["canary", "rolling"],
      ["fleet", "blocked"],
    ]);
  });

  it("updates available devices within maxUnavailable, counting not-yet-healthy new ones", () => {
    const old = live("old-revision", names);
    const first = rolloutStep(input({}, old));
    expect(first.maxUnavailable).toBe(2);
    expect(first.toApply.map((p) => p.device.name)).toEqual(["tor-00", "tor-01"]);
    // tor-00 is now on the new revision but still pending: only one more slot.
    const mid = new Map(old);
    for (const [k, v] of live(first.revision, ["tor-00"], "pending")) mid.set(k, v);
    for (const [k, v] of live(first.revision, ["tor-01"], "ready")) mid.set(k, v);
    const second = rolloutStep(input({}, mid));
    expect(second.unavailable).toBe(1);
    expect(second.toApply.map((p) => p.device.name)).toEqual(["tor-02"]);
  });

  it("resolves percentages against the desired count, rounding up, at least one", () => {
    expect(resolveMaxUnavailable("10%", 20)).toBe(2);
    expect(resolveMaxUnavailable("10%", 5)).toBe(1);
    expect(resolveMaxUnavailable("25%", 10)).toBe(3);
    expect(resolveMaxUnavailable(0, 10)).toBe(1);
  });

  it("waits for an approval of this revision, then opens the wave", () => {
    const base = input({ waves }, new Map());
    const rev = base.deployment.revision;
    const canaryDone = live(rev, names.slice(0, 4));
    const fleetOld = live("old", names.slice(4));
    const all = new Map([...canaryDone, ...fleetOld]);
    const waiting = rolloutStep(input({ waves }, all));
    expect(waiting.phase).toBe("WaitingForApproval");
    expect(waiting.toApply).toHaveLength(0);
    expect(waiting.waves[1]?.state).toBe("waiting-approval");
    const approved = rolloutStep(input({ waves }, all, ["fleet"]));
    expect(approved.phase).toBe("Progressing");
    expect(approved.toApply.map((p) => p.device.name)).toEqual(["tor-04", "tor-05"]);
  });

  it("pauses when failures in a wave exceed its success threshold, naming the devices", () => {
    const base = input({ waves, successThreshold: "75%" }, new Map());
    const rev = base.deployment.revision;
    const canary = new Map([...live(rev, ["tor-00", "tor-01"]), ...live(rev, ["tor-02", "tor-03"], "failed")]);
    const step = rolloutStep(input({ waves, successThreshold: "75%" }, canary, ["fleet"]));
    expect(step.phase).toBe("Paused");
    expect(step.toApply).toHaveLength(0);
    expect(step.failing.map((f) => [f.device, f.reason])).toEqual([
      ["tor-02", "health check failing"],
      ["tor-03", "health check failing"],
    ]);
    // One failure in four is within 75 %: the wave completes and the next proceeds.
    const ok = new Map([
      ...live(rev, ["tor-00", "tor-01", "tor-02"]),
      ...live(rev, ["tor-03"], "failed"),
      ...live("old", names.slice(4)),
    ]);
    expect(rolloutStep(input({ waves, successThreshold: "75%" }, ok, ["fleet"])).waves[0]?.state).toBe("done");
  });

  it("treats unreachable devices as their own state: skipped, not failed, not ready", () => {
    const i = { ...input({}, live("old", names)), reachable: (d: string) => d !== "tor-00" };
    const step = rolloutStep(i);
    expect(step.toApply.map((p) => p.device.name)).toEqual(["tor-01", "tor-02"]);
    expect(step.waves[0]).toMatchObject({ unreachable: 1, failed: 0 });
    expect(step.failing).toEqual([
      { device: "tor-00", wave: REMAINING_WAVE, state: "unreachable", reason: "heartbeat is stale" },
    ]);
  });

  it("Recreate updates a whole open wave at once", () => {
    const step = rolloutStep(input({ updateStrategy: { type: "Recreate" } }, live("old", names)));
    expect(step.toApply).toHaveLength(20);
  });

  it("deletes processes of devices that no longer match", () => {
    const extra = live("old", ["gone-01"]);
    const step = rolloutStep(input({}, new Map([...live("old", names), ...extra])));
    expect(step.toDelete).toEqual(["agent-gone-01"]);
  });

  it("is derived from live state alone: the same input gives the same step", () => {
    const a = rolloutStep(input({ waves }, live("old", names)));
    const b = rolloutStep(input({ waves }, live("old", names)));
    expect(b).toEqual(a);
  });
});

describe("expansion and status", () => {
  it("renders one DeviceProcess per matching device with labels, owner and revision", () => {
    const deployment = readDeployment(deploymentObject({ waves }), defaultConfig);
    const placements = place(deployment, [...devices, { kind: "SOC", name: "soc-1", labels: { role: "soc" } }]);
    expect(placements).toHaveLength(20);
    const obj = renderProcess(deployment, placements[0]!, {
      apiVersion: "azure.com/v1alpha1",
      kind: "DeviceProcessDeployment",
      name: "agent",
      uid: "u-1",
    });
    expect(obj).toMatchObject({
      metadata: {
        name: "agent-tor-00",
        namespace: "infra",
        labels: {
          rack: "rack1",
          role: "tor",
          "bosun.dev/device": "tor-00",
          "bosun.dev/revision": deployment.revision,
          "bosun.dev/wave": "canary",
          "app.kubernetes.io/managed-by": "bosun",
        },
        ownerReferences: [{ kind: "DeviceProcessDeployment", name: "agent", uid: "u-1", controller: true }],
      },
      spec: { deviceRef: { kind: "NetworkSwitch", name: "tor-00" }, execution: { backend: "exec" } },
    });
    const changed = readDeployment(
      deploymentObject({
        template: {
          spec: {
            artifact: { type: "oci", url: "ghcr.io/a:v2", checksumSHA256: "b".repeat(64) },
            execution: { backend: "exec", command: ["/a"] },
          },
        },
      }),
      defaultConfig,
    );
    expect(changed.revision).not.toBe(deployment.revision);
    expect(readDeployment(deploymentObject({ waves }), defaultConfig).revision).toBe(deployment.revision);
  });

  it("aggregates status numbers and conditions as seed 004 shows them", () => {
    const i = input({}, new Map());
    const rev = i.deployment.revision;
    const liveNow = new Map([...live(rev, names.slice(0, 18)), ...live(rev, names.slice(18), "pending")]);
    const step = rolloutStep({ ...i, live: liveNow });
    const status = deploymentStatus({
      placements: i.placements,
      live: liveNow,
      step,
      generation: 3,
      now: "2026-01-01T00:00:00Z",
      previous: [],
    });
    expect(status).toMatchObject({
      observedGeneration: 3,
      desiredNumberScheduled: 20,
      currentNumberScheduled: 20,
      numberReady: 18,
      numberAvailable: 18,
      numberUnavailable: 2,
      updatedNumberScheduled: 20,
    });
    expect(status.conditions.map((c) => [c.type, c.status, c.reason])).toEqual([
      ["Available", "True", "MinimumDevicesAvailable"],
      ["Progressing", "True", "RolloutInProgress"],
    ]);
    expect(status.conditions[0]?.message).toBe("18 of 20 devices are available");
  });
});

describe("live status freshness", () => {
  it("Healthy=False before the process runs (downloading, starting) is pending, not failed", () => {
    const base = input({ successThreshold: "100%" }, new Map());
    const downloading = new Map(
      [...live(base.deployment.revision, ["tor-00"], "pending")].map(([k, v]) => [
        k,
        { ...v, healthy: false, reason: "downloading" },
      ]),
    );
    const step = rolloutStep(
      input({ successThreshold: "100%" }, new Map([...downloading, ...live("old", names.slice(1))])),
    );
    expect(step.phase).toBe("Progressing");
    expect(step.waves[0]).toMatchObject({ failed: 0, pending: 1 });
  });

  it("a status written for an earlier spec counts as pending, not ready", () => {
    const base = input({}, new Map());
    const stale = new Map(
      [...live(base.deployment.revision, ["tor-00"])].map(([k, v]) => [k, { ...v, observed: false }]),
    );
    const all = new Map([...stale, ...live("old", names.slice(1))]);
    const step = rolloutStep(input({}, all));
    expect(step.unavailable).toBe(1);
    expect(step.toApply.map((p) => p.device.name)).toEqual(["tor-01"]);
  });
});
