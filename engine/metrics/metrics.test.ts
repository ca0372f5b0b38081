import { describe, expect, it } from "vitest";
import type { RolloutReport } from "../kinds/registration.ts";
import type { FleetObject } from "../model/fleet-object.ts";
import { EngineMetrics } from "./metrics.ts";

function report(name: string, phase: string, counts: Record<string, number>, wave: number): RolloutReport {
  return {
    object: { kind: "DeviceProcessDeployment", namespace: "infra", name } as FleetObject,
    status: {
      kind: "DeviceProcessDeployment",
      namespace: "infra",
      name,
      observedCommit: "c",
      phase,
      counts,
      wave: { current: wave, total: 2 },
    },
    progressing: phase === "Progressing",
    summary: "",
  };
}

describe("per-rollout metrics", () => {
  it("exports updated, unavailable, wave and phase per deployment, and drops deployments that are gone", async () => {
    const metrics = new EngineMetrics();
    metrics.observeRollouts([
      report("switch-agent", "WaitingForApproval", { desired: 12, updated: 4, unavailable: 1 }, 2),
      report("dpu-firmware", "Ready", { desired: 8, updated: 8, unavailable: 0 }, 2),
    ]);
    const text = await metrics.registry.metrics();
    const labels = 'kind="DeviceProcessDeployment",namespace="infra",name="switch-agent"';
    expect(text).toContain(`bosun_rollout_desired{${labels}} 12`);
    expect(text).toContain(`bosun_rollout_updated{${labels}} 4`);
    expect(text).toContain(`bosun_rollout_unavailable{${labels}} 1`);
    expect(text).toContain(`bosun_rollout_wave{${labels}} 2`);
    expect(text).toContain(`bosun_rollout_phase{${labels},phase="WaitingForApproval"} 1`);
    expect(text).toContain(`bosun_rollout_phase{${labels},phase="Ready"} 0`);
    metrics.observeRollouts([report("dpu-firmware", "Ready", { desired: 8, updated: 8, unavailable: 0 }, 2)]);
    const after = await metrics.registry.metrics();
    expect(after).not.toContain('name="switch-agent"');
    expect(after).toContain(
      'bosun_rollout_updated{kind="DeviceProcessDeployment",namespace="infra",name="dpu-firmware"} 8',
    );
  });
});
