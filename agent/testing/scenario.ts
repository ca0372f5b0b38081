/**
 * The end-to-end scenario every backend passes against the real kube-apiserver, in order:
 * deploy → upgrade (checksum verified, graceful stop) → checksum mismatch refused (old keeps
 * running) → health failure restarts and counts → agent SIGKILL + restart re-adopts without a
 * duplicate → delete stops the process. Each backend supplies artifacts, command and hooks.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { KubeClient } from "../kube/client.ts";
import { leaseName } from "../kube/lease.ts";
import type { BackendName, DeviceProcess, DeviceProcessSpec } from "../model.ts";
import { conditionOf } from "../status/compute.ts";
import { artifactVersionOf } from "../supervise/launch.ts";
import { startArtifactServer, type ArtifactServer } from "./artifact-server.ts";
import {
  adminClient,
  createDp,
  killAll,
  createNamespace,
  deleteNamespace,
  dpPath,
  ensureDeviceProcessCrd,
  events,
  kubeConn,
  patchSpec,
  pidsWith,
  removeDir,
  startAgent,
  tempDir,
  waitFor,
  waitForStatus,
  type AgentProc,
} from "./harness.ts";

export interface BackendAdapter {
  backend: BackendName;
  /** Artifact bytes for a version. */
  artifact(version: string): Promise<Buffer>;
  command(marker: string): { command: string[]; args?: string[] };
  healthCommand(ctx: { dir: string; name: string }): string[];
  makeUnhealthy(ctx: { dir: string; name: string; ns: string }): Promise<void>;
  makeHealthy(ctx: { dir: string; name: string; ns: string }): Promise<void>;
  /** Extra agent flags. */
  agentArgs(dir: string): string[];
  /** The process's output (to see the graceful stop). */
  output(ctx: { dir: string; ns: string; name: string }): Promise<string>;
  extraChecksAfterDeploy?(ctx: { dir: string; ns: string; name: string; dp: DeviceProcess }): Promise<void>;
  cleanup(ctx: { dir: string; ns: string; name: string; marker: string }): Promise<void>;
}

export function runBackendScenario(a: BackendAdapter): void {
  let client: KubeClient;
  let srv: ArtifactServer;
  let ns = "";
  let dir = "";
  let agent: AgentProc | undefined;
  const device = `dev-${a.backend}-${randomBytes(2).toString("hex")}`;
  const name = `app-${a.backend}`;
  const marker = `bosun-marker-${randomBytes(4).toString("hex")}`;
  const sums: Record<string, string> = {};
  // The version the agent reports for the spec as stored (the CRD may prune artifact.version).
  const versionOf = (dp: DeviceProcess): string => artifactVersionOf(dp.spec);
  const versions: Record<string, string> = {};
  const ctx = () => ({ dir, ns, name, marker });
  let pid = 0;

  const spec = (version: string, checksum = sums[version] ?? ""): Omit<DeviceProcessSpec, "deviceRef"> => ({
    artifact: { type: "http", url: `${srv.url}/files/${version}`, checksumSHA256: checksum, version },
    execution: { backend: a.backend, ...a.command(marker) },
    restartPolicy: "Always",
    healthCheck: {
      exec: { command: a.healthCommand(ctx()) },
      periodSeconds: 1,
      timeoutSeconds: 5,
      successThreshold: 1,
      failureThreshold: 2,
    },
  });
  const agentArgs = () => [
    "--device",
    device,
    "--kubeconfig",
    kubeConn().kubeconfigPath,
    "--namespace",
    ns,
    "--state-dir",
    `${dir}/state`,
    "--allow-insecure-http",
    "--stop-timeout",
    "3",
    "--monitor-interval",
    "0.5",
    "--restart-backoff",
    "0.2",
    "--lease-interval",
    "1",
    ...a.agentArgs(dir),
  ];
  const running = (dp: DeviceProcess) =>
    dp.status?.phase === "Running" && conditionOf(dp.status, "Healthy")?.status === "True";

  beforeAll(async () => {
    client = await adminClient();
    await ensureDeviceProcessCrd(client);
    srv = await startArtifactServer();
    for (const v of ["v1", "v2"]) sums[v] = srv.put(v, await a.artifact(v));
    srv.put("v3", await a.artifact("v3"));
    ns = await createNamespace(client, `agent-${a.backend}`);
    dir = await tempDir(`bosun-agent-${a.backend}-`);
    agent = await startAgent(agentArgs(), dir);
  });

  afterAll(async () => {
    await agent?.stop("SIGKILL");
    if (process.env["BOSUN_AGENT_TEST_LOGS"]) process.stderr.write((await agent?.logs()) ?? "");
    await a.cleanup(ctx()).catch(() => undefined);
    await killAll(marker);
    await srv?.close();
    if (ns) await deleteNamespace(client, ns);
    client?.close();
    if (dir) await removeDir(dir);
  });

  it(`${a.backend}: deploys — downloads and verifies the artifact, starts the process, reports Running with conditions, events and a heartbeat Lease`, async () => {
    const created = await createDp(client, ns, name, device, spec("v1"));
    versions["v1"] = versionOf(created);
    const dp = await waitForStatus(client, ns, name, "Running and Healthy", running);
    expect(dp.status?.artifactVersion).toBe(versions["v1"]);
    expect(dp.status?.restartCount).toBe(0);
    expect(dp.status?.conditions?.map((c) => [c.type, c.status])).toEqual([
      ["ArtifactDownloaded", "True"],
      ["ProcessStarted", "True"],
      ["Healthy", "True"],
    ]);
    expect(dp.status?.startTime).toMatch(/^\d{4}-\d\d-\d\dT/);
    pid = dp.status?.pid ?? 0;
    expect(await pidsWith(marker)).toEqual([pid]);
    await a.extraChecksAfterDeploy?.({ ...ctx(), dp });
    const evs = await waitFor("events", async () => {
      const e = await events(client, ns, name);
      return ["ArtifactDownloaded", "ProcessStarted", "HealthCheckPassed"].every((r) => e.some((x) => x.reason === r))
        ? e
        : undefined;
    });
    expect(evs.every((e) => e.source?.component === "device-agent" && e.source.host === device)).toBe(true);
    const lease = await client.json<{ spec: { holderIdentity: string; renewTime: string } }>(
      "GET",
      `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${leaseName(device)}`,
    );
    expect(lease.spec.holderIdentity).toBe(device);
    await waitFor("lease renewed", async () => {
      const l = await client.json<{ spec: { renewTime: string } }>(
        "GET",
        `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${leaseName(device)}`,
      );
      return l.spec.renewTime !== lease.spec.renewTime;
    });
  });

  it(`${a.backend}: upgrades with checksum verification — the old version stops gracefully and the new one runs`, async () => {
    versions["v2"] = versionOf(await patchSpec(client, ns, name, { artifact: spec("v2").artifact }));
    const dp = await waitForStatus(
      client,
      ns,
      name,
      "running v2",
      (d) => d.status?.artifactVersion === versions["v2"] && running(d) && d.status?.pid !== pid,
    );
    const newPid = dp.status?.pid ?? 0;
    expect(await pidsWith(marker)).toEqual([newPid]);
    expect(dp.status?.restartCount).toBe(0);
    await waitFor("old version saw SIGTERM and the new one started", async () => {
      const out = await a.output(ctx());
      return out.includes("app v1 got TERM") && out.includes("app v2 started");
    });
    pid = newPid;
  });

  it(`${a.backend}: refuses a checksum mismatch — nothing installed, the running version stays`, async () => {
    await patchSpec(client, ns, name, { artifact: spec("v3", "f".repeat(64)).artifact });
    const dp = await waitForStatus(
      client,
      ns,
      name,
      "ArtifactDownloaded=False ChecksumMismatch",
      (d) => conditionOf(d.status, "ArtifactDownloaded")?.reason === "ChecksumMismatch",
    );
    expect(conditionOf(dp.status, "ArtifactDownloaded")?.status).toBe("False");
    expect(conditionOf(dp.status, "ArtifactDownloaded")?.message).toMatch(
      /checksum mismatch: expected sha256 f{64}, got [0-9a-f]{64}/,
    );
    expect(dp.status?.phase).toBe("Running");
    expect(dp.status?.artifactVersion).toBe(versions["v2"]);
    expect(dp.status?.pid).toBe(pid);
    expect(await pidsWith(marker)).toEqual([pid]);
    expect((await events(client, ns, name)).some((e) => e.reason === "ChecksumMismatch" && e.type === "Warning")).toBe(
      true,
    );
    await patchSpec(client, ns, name, { artifact: spec("v2").artifact }); // back to the good version: nothing restarts
    await waitForStatus(
      client,
      ns,
      name,
      "ArtifactDownloaded=True again",
      (d) => conditionOf(d.status, "ArtifactDownloaded")?.status === "True",
    );
    expect((await waitForStatus(client, ns, name, "still running", running)).status?.pid).toBe(pid);
  });

  it(`${a.backend}: a failing health check restarts the process and counts the restart`, async () => {
    await a.makeUnhealthy(ctx());
    const dp = await waitForStatus(
      client,
      ns,
      name,
      "restarted after health failure",
      (d) => (d.status?.restartCount ?? 0) >= 1 && d.status?.lastTerminationReason === "HealthCheckFailed",
    );
    expect(dp.status?.restartCount).toBeGreaterThanOrEqual(1);
    await a.makeHealthy(ctx());
    const healthy = await waitForStatus(client, ns, name, "healthy again", (d) => running(d) && d.status?.pid !== pid);
    expect(await pidsWith(marker)).toEqual([healthy.status?.pid]);
    const evs = await events(client, ns, name);
    expect(evs.some((e) => e.reason === "HealthCheckFailed" && e.type === "Warning")).toBe(true);
    expect(evs.some((e) => e.reason === "ProcessRestarted")).toBe(true);
    pid = healthy.status?.pid ?? 0;
  });

  it(`${a.backend}: agent SIGKILL + restart re-adopts the running process without a duplicate`, async () => {
    const before = await waitForStatus(client, ns, name, "running", running);
    await agent?.stop("SIGKILL");
    expect(await pidsWith(marker)).toEqual([pid]); // the process outlives the agent
    agent = await startAgent(agentArgs(), dir);
    await waitFor("ProcessAdopted event", async () =>
      (await events(client, ns, name)).some((e) => e.reason === "ProcessAdopted"),
    );
    const lease = await client.json<{ spec: { renewTime: string } }>(
      "GET",
      `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${leaseName(device)}`,
    );
    await waitFor(
      "the new agent renews the lease",
      async () =>
        (
          await client.json<{ spec: { renewTime: string } }>(
            "GET",
            `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${leaseName(device)}`,
          )
        ).spec.renewTime !== lease.spec.renewTime,
    );
    const after = await waitForStatus(client, ns, name, "running", running);
    expect(after.status?.pid).toBe(pid);
    expect(after.status?.restartCount).toBe(before.status?.restartCount);
    expect(await pidsWith(marker)).toEqual([pid]);
    expect((await events(client, ns, name)).filter((e) => e.reason === "ProcessStarted")).toHaveLength(2); // v1 and v2 only
  });

  it(`${a.backend}: deleting the DeviceProcess stops and removes the process`, async () => {
    await client.json("DELETE", dpPath(ns, name));
    await waitFor("process gone", async () => (await pidsWith(marker)).length === 0);
  });
}
