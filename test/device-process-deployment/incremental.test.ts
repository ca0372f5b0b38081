import { describe, expect, it } from "vitest";
import { loadFleet, type DesiredState } from "../../engine/desired/load-fleet.ts";
import { createLogger } from "../../engine/log/logger.ts";
import type { Device } from "../../engine/model/device.ts";
import { approvalDocument } from "../../engine/rollout/approvals.ts";
import { dependenciesOf } from "../../engine/desired/dependencies.ts";
import { FleetReconciler, type PassReport } from "../../engine/reconcile/fleet-reconciler.ts";
import { builtinKinds } from "../../engine/kinds/builtin.ts";
import { memoryBackend, type MemoryBackend } from "../../sinks/memory/index.ts";

const enc = new TextEncoder();

function deploymentYaml(name: string, version: string, extra = ""): string {
  return `apiVersion: azure.com/v1alpha1
kind: DeviceProcessDeployment
metadata:
  name: ${name}
  namespace: infra
spec:
  selector:
    matchLabels:
      role: ${name === "agent" ? "tor" : "soc"}
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 2
${extra}  template:
    spec:
      artifact:
        type: oci
        url: ghcr.io/apollo/${name}:${version}
        version: ${version}
        checksumSHA256: ${"a".repeat(64)}
      execution:
        backend: exec
        command: ["/bin/${name}"]
`;
}

const WAVES = `  waves:
    - name: canary
      selector:
        matchLabels:
          rack: r1
    - name: fleet
      approval: required
      successThreshold: 80%
`;

function desired(version: string, approvals: string[] = []): DesiredState {
  const files = [
    { path: "agent.yaml", bytes: enc.encode(deploymentYaml("agent", version, WAVES)) },
    { path: "telemetry.yaml", bytes: enc.encode(deploymentYaml("telemetry", "v1")) },
    ...approvals.map((text, i) => ({ path: `approvals/a${i}.yaml`, bytes: enc.encode(text) })),
  ];
  const loaded = loadFleet(files);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
  return loaded;
}

function devices(): Device[] {
  const out: Device[] = [];
  for (let i = 0; i < 12; i++)
    out.push({
      kind: "NetworkSwitch",
      name: `tor-${String(i).padStart(2, "0")}`,
      labels: { role: "tor", rack: i < 3 ? "r1" : "r2" },
    });
  for (let i = 0; i < 6; i++) out.push({ kind: "SOC", name: `soc-${i}`, labels: { role: "soc" } });
  return out;
}

/** Runs the same scenario through an incremental and a full reconciler, each on its own in-memory cluster. */
class Twin {
  now = Date.parse("2025-01-01T00:00:00Z");
  readonly sides = [true, false].map((incremental) => {
    const backend = memoryBackend({ name: "kubernetes", record: true });
    const reports: PassReport[] = [];
    const reconciler = new FleetReconciler({
      backends: [backend.backend],
      kinds: builtinKinds,
      dependenciesOf,
      logger: createLogger({ level: "silent" }),
      incremental,
      heartbeatStaleMs: 60_000,
      clock: () => new Date(this.now),
      onPass: (r) => reports.push(r),
    });
    for (const d of devices()) {
      backend.addDevice(d);
      backend.store.setHeartbeat("infra", d.name, this.now);
    }
    return { backend, reconciler, reports };
  });

  /** One pass on both sides; returns what each returned and wrote, which must be equal. */
  async pass(state: DesiredState, commit = "c1"): Promise<void> {
    const seen = [];
    for (const side of this.sides) {
      const statuses = await side.reconciler.apply(state, { commit, signal: new AbortController().signal });
      const report = side.reports.at(-1);
      seen.push({
        statuses,
        rollouts: report?.rollouts.map((r) => ({ summary: r.summary, waiting: r.waiting, progressing: r.progressing })),
        progressing: report?.progressing,
        writes: structuredClone(side.backend.writes),
        live: side.backend.store.processesIn("infra").sort((a, b) => (a.process.name < b.process.name ? -1 : 1)),
        deployments: ["agent", "telemetry"].map((n) => side.backend.store.deployment("infra", n).value),
      });
    }
    expect(seen[0]).toEqual(seen[1]);
  }

  each(fn: (backend: MemoryBackend) => void): void {
    for (const side of this.sides) fn(side.backend);
  }

  ready(): void {
    this.each((b) => b.agentsReport(() => ({ phase: "Running", healthy: true, reason: undefined })));
  }

  get incremental(): MemoryBackend {
    return (this.sides[0] as { backend: MemoryBackend }).backend;
  }
  get full(): MemoryBackend {
    return (this.sides[1] as { backend: MemoryBackend }).backend;
  }
}

function revisionOf(twin: Twin): string {
  const status = twin.incremental.store.deployment("infra", "agent").value?.status as { revision?: string } | undefined;
  if (!status?.revision) throw new Error("no revision in status");
  return status.revision;
}

describe("incremental reconcile passes", () => {
  it("match a full pass through a rollout with device, process, heartbeat, approval and deployment changes", async () => {
    const twin = new Twin();
    const v1 = desired("v1");
    await twin.pass(v1);
    expect(twin.incremental.writes.applied.length).toBeGreaterThan(0);
    for (let i = 0; i < 4; i++) {
      twin.ready();
      await twin.pass(v1);
    }
    // Unchanged polls: the same results, and the incremental side writes and reads nothing new.
    const before = { ...twin.incremental.calls };
    const fullBefore = { ...twin.full.calls };
    await twin.pass(v1);
    await twin.pass(v1);
    expect(twin.incremental.calls.statuses).toBe(before.statuses);
    expect(twin.incremental.calls.lists).toBe(before.lists);
    expect(twin.full.calls.statuses).toBeGreaterThan(fullBefore.statuses);

    // The fleet wave waits for approval; an approval for this revision opens it.
    const approval = approvalDocument({
      namespace: "infra",
      name: "agent",
      wave: "fleet",
      revision: revisionOf(twin),
      approvedBy: "ops",
      folder: "approvals/",
    });
    const stale = approvalDocument({
      namespace: "infra",
      name: "agent",
      wave: "fleet",
      revision: "0000000000000000",
      approvedBy: "ops",
      folder: "approvals/",
    });
    await twin.pass(desired("v1", [stale.text]), "c2");
    const approved = desired("v1", [approval.text]);
    await twin.pass(approved, "c3");
    for (let i = 0; i < 6; i++) {
      twin.ready();
      await twin.pass(approved, "c3");
    }

    // A device stops matching (its process is deleted); a new one appears.
    twin.each((b) => {
      b.addDevice({ kind: "NetworkSwitch", name: "tor-05", labels: { role: "spare", rack: "r2" } });
      b.addDevice({ kind: "NetworkSwitch", name: "tor-99", labels: { role: "tor", rack: "r1" } });
      b.store.setHeartbeat("infra", "tor-99", twin.now);
    });
    await twin.pass(approved, "c3");
    expect(twin.incremental.writes.deleted).toContain("infra/agent-tor-05");

    // Heartbeats: renewals that change nothing, then a device going stale as time passes.
    twin.now += 30_000;
    twin.each((b) => {
      for (const d of devices()) if (d.name !== "tor-07") b.store.setHeartbeat("infra", d.name, twin.now);
    });
    await twin.pass(approved, "c3");
    twin.now += 45_000;
    await twin.pass(approved, "c3");

    // A process fails on the current revision, then the deployment gets a new version.
    twin.each((b) => {
      const p = b.store.processes("infra", "telemetry").value.get("telemetry-soc-1");
      if (!p) throw new Error("missing telemetry-soc-1");
      b.store.upsertProcess("infra", "telemetry", { ...p, phase: "Failed", healthy: false, reason: "exit 3" });
    });
    await twin.pass(approved, "c3");
    const v2 = desired("v2", [approval.text]);
    for (let i = 0; i < 8; i++) {
      await twin.pass(v2, "c4");
      twin.ready();
    }
    expect(twin.incremental.writes.events.some((e) => e.includes("RolloutStarted"))).toBe(true);
    expect(twin.incremental.writes.events.some((e) => e.includes("DeviceUnhealthy"))).toBe(true);
  });

  it("re-steps only the deployment whose processes changed", async () => {
    const twin = new Twin();
    const v1 = desired("v1");
    for (let i = 0; i < 4; i++) {
      await twin.pass(v1);
      twin.ready();
    }
    await twin.pass(v1);
    const statuses = twin.incremental.calls.statuses;
    twin.each((b) => {
      const p = b.store.processes("infra", "telemetry").value.get("telemetry-soc-2");
      if (!p) throw new Error("missing telemetry-soc-2");
      b.store.upsertProcess("infra", "telemetry", { ...p, restartCount: 4 });
    });
    await twin.pass(v1);
    // Only telemetry was stepped again: one status write instead of two.
    expect(twin.incremental.calls.statuses).toBe(statuses + 1);
  });
});
