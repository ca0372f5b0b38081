import { describe, expect, it } from "vitest";
import { defaultConfig } from "../../engine/desired/bosun-config.ts";
import { readDeployment } from "../../engine/kinds/device-process-deployment/deployment.ts";
import { planRollout } from "../../engine/kinds/device-process-deployment/plan-rollout.ts";
import type { FleetObject } from "../../engine/model/fleet-object.ts";
import { buildPlan } from "../../engine/plan/plan.ts";
import { renderPlanMarkdown, renderPlanText } from "../../engine/plan/render-plan.ts";

const body = {
  apiVersion: "azure.com/v1alpha1",
  kind: "DeviceProcessDeployment",
  metadata: { name: "agent", namespace: "infra" },
  spec: {
    selector: { matchLabels: { role: "tor" } },
    waves: [
      { name: "canary", selector: { matchLabels: { rack: "r1" } } },
      { name: "fleet", approval: "required" },
    ],
    template: {
      spec: {
        artifact: { type: "oci", url: "a:v2", checksumSHA256: "a".repeat(64) },
        execution: { backend: "exec", command: ["/a"] },
      },
    },
  },
};
const object: FleetObject = {
  apiVersion: body.apiVersion,
  kind: body.kind,
  namespace: "infra",
  name: "agent",
  body,
  source: { file: "a.yaml", line: 1, col: 1 },
};
const deployment = readDeployment(object, defaultConfig);
const devices = Array.from({ length: 6 }, (_, i) => ({
  kind: "NetworkSwitch" as const,
  name: `tor-${i}`,
  labels: { role: "tor", rack: i < 2 ? "r1" : "r2" },
}));

function rollout(onRevision: boolean) {
  const live = new Map(
    devices.map((d) => [
      `agent-${d.name}`,
      {
        name: `agent-${d.name}`,
        device: d.name,
        revision: onRevision ? deployment.revision : "old",
        phase: "Running",
        healthy: true,
        restartCount: 0,
        observed: true,
        reason: undefined,
      },
    ]),
  );
  return planRollout(object, { objects: [object], approvals: [], config: defaultConfig }, devices, live, () => true);
}

describe("plan", () => {
  it("groups a version bump by wave with counts, disruption and approval gates", () => {
    const plan = buildPlan({ commit: "abc", objects: [], deletions: [], rollouts: [rollout(false)] });
    expect(plan.hasChanges).toBe(true);
    expect(plan.rollouts[0]?.waves).toEqual([
      {
        name: "canary",
        targets: 2,
        toUpdate: 2,
        approval: "auto",
        approved: true,
        disruption: "restart",
        devices: ["tor-0", "tor-1"],
      },
      {
        name: "fleet",
        targets: 4,
        toUpdate: 4,
        approval: "required",
        approved: false,
        disruption: "restart",
        devices: ["tor-2", "tor-3", "tor-4", "tor-5"],
      },
    ]);
    const text = renderPlanText(plan);
    expect(text).toContain("1. canary: 2 of 2 devices to update (restart), auto");
    expect(text).toContain("2. fleet: 4 of 4 devices to update (restart), waits for approval");
    expect(text).toContain(`Plan ${plan.digest}`);
    expect(text).toContain("Rollout DeviceProcessDeployment infra/agent");
    expect(text).toContain("6 devices to update");
    expect(renderPlanMarkdown(plan)).toContain("bosun approve DeviceProcessDeployment/agent --wave fleet");
  });

  it("reports no changes when everything is in sync, with a stable digest", () => {
    const a = buildPlan({
      commit: "abc",
      objects: [{ kind: "ConfigMap", namespace: "x", name: "c", diff: { state: "in-sync", fields: [] } }],
      deletions: [],
      rollouts: [rollout(true)],
    });
    const b = buildPlan({
      commit: "abc",
      objects: [{ kind: "ConfigMap", namespace: "x", name: "c", diff: { state: "in-sync", fields: [] } }],
      deletions: [],
      rollouts: [rollout(true)],
    });
    expect(a.hasChanges).toBe(false);
    expect(a.digest).toBe(b.digest);
    expect(renderPlanText(a)).toContain("no changes");
  });

  it("classifies disruption and never prints Secret values", () => {
    const plan = buildPlan({
      commit: "abc",
      objects: [
        {
          kind: "Secret",
          namespace: "x",
          name: "s",
          diff: { state: "changed", fields: [{ pointer: "/data/password", desired: "aHVudGVyMg==", live: "b2xk" }] },
        },
        {
          kind: "FARAgent",
          namespace: "x",
          name: "f",
          disruption: { of: "recreate" as const, fields: [/^\/spec\/microvm(\/|$)/] },
          diff: { state: "changed", fields: [{ pointer: "/spec/microvm/kernel", desired: "k2", live: "k1" }] },
        },
        {
          kind: "Deployment",
          namespace: "x",
          name: "d",
          diff: {
            state: "changed",
            fields: [{ pointer: "/spec/template/spec/containers/0/image", desired: "a:v2", live: "a:v1" }],
          },
        },
        { kind: "ConfigMap", namespace: "x", name: "c", diff: { state: "missing", fields: [] } },
      ],
      deletions: [{ kind: "ConfigMap", namespace: "x", name: "old" }],
      rollouts: [],
    });
    expect(plan.changes.map((c) => [c.kind, c.name, c.action, c.disruption])).toEqual([
      ["ConfigMap", "c", "create", "none"],
      ["ConfigMap", "old", "delete", "delete"],
      ["Deployment", "d", "update", "restart"],
      ["FARAgent", "f", "update", "recreate"],
      ["Secret", "s", "update", "none"],
    ]);
    const out = renderPlanText(plan) + renderPlanMarkdown(plan) + JSON.stringify(plan);
    expect(out).not.toContain("aHVudGVyMg==");
    expect(out).not.toContain("b2xk");
    expect(out).toContain("/spec/template/spec/containers/0/image a:v1 → a:v2");
  });

  it("shows the dependsOn order step by step, and only then makes it part of the digest", () => {
    const order = [["TenantCluster infra/vm"], ["ConfigMap infra/app"]];
    const plain = buildPlan({ commit: "abc", objects: [], deletions: [], rollouts: [] });
    const ordered = buildPlan({ commit: "abc", objects: [], deletions: [], rollouts: [], order });
    expect(ordered.digest).not.toBe(plain.digest);
    expect(renderPlanText(ordered)).toContain(
      "Order (dependsOn; each step waits for the one before to be Ready):\n  1. TenantCluster infra/vm\n  2. ConfigMap infra/app",
    );
    expect(renderPlanMarkdown(ordered)).toContain("#### Order (dependsOn)");
  });

  it("caps a long markdown comment with a summary", () => {
    const objects = Array.from({ length: 120 }, (_, i) => ({
      kind: "ConfigMap",
      namespace: "x",
      name: `c${i}`,
      diff: { state: "missing" as const, fields: [] },
    }));
    const md = renderPlanMarkdown(buildPlan({ commit: "abc", objects, deletions: [], rollouts: [] }), 50);
    expect(md.split("\n").filter((l) => l.startsWith("| create")).length).toBe(50);
    expect(md).toContain("…and 70 more changes (120 to create)");
  });
});
