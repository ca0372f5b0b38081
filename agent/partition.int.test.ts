/**
 * Network partition between the agent and the API server (a loopback TCP proxy the test stops and
 * starts): processes keep running on the last known state, a crash is still restarted locally, and
 * the agent reports the current status, renews its lease and resumes its watch once the server is back.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeClient } from "./kube/client.ts";
import { leaseName } from "./kube/lease.ts";
import type { DeviceProcessSpec } from "./model.ts";
import { startArtifactServer, type ArtifactServer } from "./testing/artifact-server.ts";
import {
  adminClient,
  createDp,
  createNamespace,
  deleteNamespace,
  ensureDeviceProcessCrd,
  getDp,
  killAll,
  kubeConn,
  kubeconfigVia,
  patchSpec,
  pidsWith,
  removeDir,
  startAgent,
  tempDir,
  waitFor,
  waitForStatus,
  type AgentProc,
} from "./testing/harness.ts";
import { startTcpProxy, type TcpProxy } from "./testing/tcp-proxy.ts";

const script = (v: string): string =>
  `#!/bin/sh\necho "app ${v} started"\ntrap 'exit 0' TERM\nwhile true; do sleep 0.2; done\n`;

describe("API server partition", () => {
  let client: KubeClient;
  let srv: ArtifactServer;
  let proxy: TcpProxy;
  let agent: AgentProc | undefined;
  let ns = "";
  let dir = "";
  const device = `dev-part-${randomBytes(2).toString("hex")}`;
  const marker = `bosun-marker-${randomBytes(4).toString("hex")}`;
  const sums: Record<string, string> = {};
  const spec = (v: string): Omit<DeviceProcessSpec, "deviceRef"> => ({
    artifact: { type: "http", url: `${srv.url}/files/${v}`, checksumSHA256: sums[v] ?? "", version: v },
    execution: { backend: "exec", command: ["/bin/sh", "$(BOSUN_ARTIFACT)", marker] },
    restartPolicy: "Always",
  });
  const renewTime = async (): Promise<string> =>
    (
      await client.json<{ spec: { renewTime: string } }>(
        "GET",
        `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${leaseName(device)}`,
      )
    ).spec.renewTime;

  beforeAll(async () => {
    client = await adminClient();
    await ensureDeviceProcessCrd(client);
    srv = await startArtifactServer();
    sums["v1"] = srv.put("v1", script("v1"));
    sums["v2"] = srv.put("v2", script("v2"));
    ns = await createNamespace(client, "agent-partition");
    dir = await tempDir("bosun-agent-partition-");
    proxy = await startTcpProxy(Number(new URL(kubeConn().server).port));
    const kubeconfig = await kubeconfigVia(dir, `https://127.0.0.1:${proxy.port}`);
    agent = await startAgent(
      [
        "--device",
        device,
        "--kubeconfig",
        kubeconfig,
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
      ],
      dir,
    );
  });

  afterAll(async () => {
    await agent?.stop("SIGKILL");
    await killAll(marker);
    await proxy?.close();
    await srv?.close();
    if (ns) await deleteNamespace(client, ns);
    client?.close();
    if (dir) await removeDir(dir);
  });

  it("keeps the process running and restarts it locally while the API server is unreachable, then reports when it is back", async () => {
    await createDp(client, ns, "app", device, spec("v1"));
    const first = await waitForStatus(client, ns, "app", "Running", (d) => d.status?.phase === "Running");
    const pid1 = first.status?.pid ?? 0;
    expect(await pidsWith(marker)).toEqual([pid1]);

    await proxy.stop();
    await waitFor("agent notices the partition", async () => (await agent?.logs())?.includes("API server unreachable"));
    expect(await pidsWith(marker)).toEqual([pid1]); // last known state keeps running

    process.kill(pid1, "SIGKILL");
    const restarted = await waitFor("local restart during the partition", async () => {
      const pids = await pidsWith(marker);
      return pids.length === 1 && pids[0] !== pid1 ? pids[0] : undefined;
    });
    expect((await getDp(client, ns, "app")).status?.pid).toBe(pid1); // the API server has not heard yet
    const leaseBefore = await renewTime();

    await proxy.start();
    const back = await waitForStatus(
      client,
      ns,
      "app",
      "status reported after the partition",
      (d) => d.status?.pid === restarted,
    );
    expect(back.status?.restartCount).toBe(1);
    expect(back.status?.lastTerminationReason).toBe("Signal SIGKILL");
    expect(back.status?.phase).toBe("Running");
    await waitFor("lease renewed after the partition", async () => (await renewTime()) !== leaseBefore);
    expect(await agent?.logs()).toContain("API server reachable; reporting current status");

    // The watch resumed: a spec change made after the partition is applied.
    await patchSpec(client, ns, "app", { artifact: spec("v2").artifact });
    const upgraded = await waitForStatus(
      client,
      ns,
      "app",
      "upgraded to v2 after the partition",
      (d) => d.status?.artifactVersion === "v2" && d.status.phase === "Running",
    );
    expect(await pidsWith(marker)).toEqual([upgraded.status?.pid]);
  });
});
