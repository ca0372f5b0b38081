/**
 * The device simulator against the real kube-apiserver of the integration setup: inventory,
 * simulated agents writing DeviceProcess status, failures, unreachable devices and leases.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import type { KubeObject, WatchEvent } from "../../clients/kubernetes/types.ts";
import { createLogger } from "../../engine/log/logger.ts";
import { createTestNamespace, kubeClient, type TestNamespace } from "../../test/support/kube.ts";
import { installDeviceCrds } from "./crds.ts";
import { leaseName } from "./lease.ts";
import { startSimulator, type Simulator, type SimulatorOptions } from "./simulator.ts";

const DP = { apiVersion: "azure.com/v1alpha1", kind: "DeviceProcess" } as const;
const log = createLogger({ level: "warn" });
const CHECKSUM = "5f04f46f4e9178c5646774ec1e4ab23029416b911341db326a1262320713ef72";

let client: KubeClient;
let ns: TestNamespace;
const sims: Simulator[] = [];

beforeAll(async () => {
  client = kubeClient({ qps: 200, burst: 400 });
  await installDeviceCrds(client);
});
afterAll(() => client.close());
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.stop()));
  await ns.cleanup();
});

async function start(opts: Omit<SimulatorOptions, "client" | "namespace" | "log">): Promise<Simulator> {
  ns = await createTestNamespace(client, "sim");
  const sim = await startSimulator({ client, namespace: ns.name, log, ...opts });
  sims.push(sim);
  return sim;
}

function processObject(
  name: string,
  device: string,
  kind: string,
  version: string,
  labels: Record<string, string> = {},
): KubeObject {
  return {
    ...DP,
    metadata: {
      name,
      namespace: ns.name,
      labels: { "bosun.dev/device": device, "bosun.dev/revision": `rev-${version}`, ...labels },
    },
    spec: {
      deviceRef: { kind, name: device },
      artifact: { type: "oci", url: `ghcr.io/apollo/switch-agent:${version}`, checksumSHA256: CHECKSUM },
      execution: { backend: "systemd", command: ["/usr/bin/switch-agent"] },
    },
  };
}

type Status = {
  phase?: string;
  artifactVersion?: string;
  observedGeneration?: number;
  pid?: number;
  startTime?: string;
  restartCount?: number;
  lastTerminationReason?: string;
  conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[];
};
const statusOf = (o: KubeObject | undefined): Status | undefined => o?.["status"] as Status | undefined;
const cond = (s: Status | undefined, type: string): { status: string; reason?: string; message?: string } | undefined =>
  s?.conditions?.find((c) => c.type === type);

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const getDp = (name: string): Promise<KubeObject | undefined> => client.get({ ...DP, namespace: ns.name, name });
async function waitPhase(name: string, phase: string, version: string): Promise<Status> {
  return waitFor(`${name} ${phase} on ${version}`, async () => {
    const s = statusOf(await getDp(name));
    return s?.phase === phase && s.artifactVersion === version ? s : undefined;
  });
}

describe("device simulator", () => {
  it("creates the inventory with kinds and labels, idempotently", async () => {
    const sim = await start({
      devices: { switches: 5, socs: 3, dpus: 2, bmcs: 2, racks: 2, spines: 1 },
      seed: 9,
      heartbeats: false,
    });
    expect(sim.stats().inventory).toEqual({ created: 12, existing: 0 });
    const switches = (await client.list("azure.com/v1alpha1", "NetworkSwitch", { namespace: ns.name })).items;
    expect(switches.map((o) => o.metadata.name).sort()).toEqual([
      "spine-01",
      "tor1-01",
      "tor1-02",
      "tor2-01",
      "tor2-02",
    ]);
    const tor = switches.find((o) => o.metadata.name === "tor2-01");
    expect(tor?.metadata.labels).toMatchObject({ type: "switch", role: "tor", rack: "rack2", site: "site-b" });
    expect(tor?.["spec"]).toMatchObject({ rack: "rack2", site: "site-b" });
    const tors = await client.list("azure.com/v1alpha1", "NetworkSwitch", {
      namespace: ns.name,
      labelSelector: "role=tor,type=switch",
    });
    expect(tors.items).toHaveLength(4);
    for (const [kind, type, n] of [
      ["SOC", "soc", 3],
      ["DPU", "dpu", 2],
      ["BMC", "bmc", 2],
    ] as const) {
      const items = (await client.list("azure.com/v1alpha1", kind, { namespace: ns.name })).items;
      expect(items).toHaveLength(n);
      for (const o of items)
        expect(o.metadata.labels).toMatchObject({
          type,
          rack: expect.stringMatching(/^rack[12]$/) as unknown as string,
          site: expect.stringMatching(/^site-[ab]$/) as unknown as string,
        });
    }
    expect(
      (await client.list("azure.com/v1alpha1", "DPU", { namespace: ns.name })).items.map((o) => o.metadata.name).sort(),
    ).toEqual(["dpu-rack1-01", "dpu-rack2-01"]);
    // A second run over the same namespace leaves the existing objects alone.
    const before = tor?.metadata.resourceVersion;
    const again = await startSimulator({
      client,
      namespace: ns.name,
      log,
      devices: { switches: 5, socs: 3, dpus: 2, bmcs: 2, racks: 2, spines: 1 },
      seed: 9,
      heartbeats: false,
    });
    sims.push(again);
    expect(again.stats().inventory).toEqual({ created: 0, existing: 12 });
    expect(
      (
        await client.get({
          apiVersion: "azure.com/v1alpha1",
          kind: "NetworkSwitch",
          namespace: ns.name,
          name: "tor2-01",
        })
      )?.metadata.resourceVersion,
    ).toBe(before);
  });

  it("reports Running/Healthy, then on a new version goes unavailable and comes back on it", async () => {
    await start({ devices: { switches: 4, racks: 1, spines: 0 }, seed: 1, delayMs: [300, 600], heartbeats: false });
    await client.create(processObject("switch-agent-tor1-01", "tor1-01", "NetworkSwitch", "v1.2.3"));
    const s = await waitPhase("switch-agent-tor1-01", "Running", "v1.2.3");
    expect(s.conditions?.map((c) => [c.type, c.status])).toEqual([
      ["ArtifactDownloaded", "True"],
      ["ProcessStarted", "True"],
      ["Healthy", "True"],
    ]);
    for (const c of s.conditions ?? []) {
      expect(c.lastTransitionTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(c.reason).toBeTruthy();
      expect(c.message).toBeTruthy();
    }
    expect(s).toMatchObject({ restartCount: 0, lastTerminationReason: "", observedGeneration: 1 });
    expect(s.pid).toBeGreaterThan(0);
    expect(s.startTime).toMatch(/Z$/);

    // Watch every status the simulator writes while the new version rolls out.
    const current = await getDp("switch-agent-tor1-01");
    const seen: Status[] = [];
    const ctl = new AbortController();
    const watching = (async () => {
      for await (const ev of client.watch(DP.apiVersion, DP.kind, {
        namespace: ns.name,
        resourceVersion: current?.metadata.resourceVersion ?? "",
        signal: ctl.signal,
      }) as AsyncGenerator<WatchEvent>) {
        const st = statusOf(ev.object);
        if (st) seen.push(st);
        if (st?.phase === "Running" && st.artifactVersion === "v1.3.0") return;
      }
    })();
    await client.mergePatch(
      { ...DP, namespace: ns.name, name: "switch-agent-tor1-01" },
      {
        metadata: { labels: { "bosun.dev/revision": "rev-v1.3.0" } },
        spec: { artifact: { url: "ghcr.io/apollo/switch-agent:v1.3.0" } },
      },
    );
    await Promise.race([
      watching,
      sleep(60_000).then(() => {
        throw new Error("rollout to v1.3.0 not seen");
      }),
    ]);
    ctl.abort();
    const pending = seen.find((st) => st.phase === "Pending" && st.observedGeneration === 2);
    expect(pending).toBeDefined();
    expect(cond(pending, "Healthy")?.status).not.toBe("True");
    expect(pending?.artifactVersion).toBe("v1.2.3");
    const final = seen.at(-1);
    expect(final).toMatchObject({
      phase: "Running",
      artifactVersion: "v1.3.0",
      observedGeneration: 2,
      lastTerminationReason: "Upgraded",
    });
    expect(seen.indexOf(pending as Status)).toBeLessThan(seen.length - 1);
  });

  it("fails processes matching the failure rule, and setFailure flips running ones", async () => {
    const sim = await start({
      devices: { switches: 4, racks: 1, spines: 0 },
      seed: 2,
      delayMs: [100, 300],
      failure: { selector: "sim.bosun.dev/fail=true" },
      heartbeats: false,
    });
    await client.create(
      processObject("a-tor1-01", "tor1-01", "NetworkSwitch", "v1.0.0", { "sim.bosun.dev/fail": "true" }),
    );
    await client.create(processObject("a-tor1-02", "tor1-02", "NetworkSwitch", "v1.0.0"));
    const failed = await waitPhase("a-tor1-01", "Failed", "v1.0.0");
    expect(cond(failed, "Healthy")).toMatchObject({
      status: "False",
      reason: "HealthCheckFailed",
      message: "health check failing: exit code 1",
    });
    expect(failed).toMatchObject({ lastTerminationReason: "Error: exit code 1", restartCount: 3 });
    await waitPhase("a-tor1-02", "Running", "v1.0.0");

    sim.setFailure({ devices: ["tor1-02"], message: "health check failing: exit code 7", exitCode: 7 });
    const flipped = await waitPhase("a-tor1-02", "Failed", "v1.0.0");
    expect(cond(flipped, "Healthy")?.message).toBe("health check failing: exit code 7");
    await waitPhase("a-tor1-01", "Running", "v1.0.0");
    expect(sim.stats()).toMatchObject({ processes: 2, failed: 1, running: 1 });
  });

  it("fails by artifact version only on that version", async () => {
    await start({
      devices: { dpus: 2, racks: 1 },
      seed: 3,
      delayMs: [50, 100],
      failure: { versions: ["v2.0.0"] },
      heartbeats: false,
    });
    await client.create(processObject("fw-dpu-rack1-01", "dpu-rack1-01", "DPU", "v1.0.0"));
    await waitPhase("fw-dpu-rack1-01", "Running", "v1.0.0");
    await client.mergePatch(
      { ...DP, namespace: ns.name, name: "fw-dpu-rack1-01" },
      { spec: { artifact: { url: "ghcr.io/apollo/switch-agent:v2.0.0" } } },
    );
    const s = await waitPhase("fw-dpu-rack1-01", "Failed", "v2.0.0");
    expect(cond(s, "Healthy")?.status).toBe("False");
  });

  it("unreachable devices neither report status nor renew leases; reachable ones do both", async () => {
    const sim = await start({
      devices: { socs: 12, racks: 1 },
      seed: 5,
      delayMs: [50, 100],
      unreachableShare: 0.5,
      heartbeats: { intervalMs: 500 },
    });
    const down = sim.devices.filter((d) => d.unreachable);
    const up = sim.devices.filter((d) => !d.unreachable);
    expect(down.length).toBeGreaterThan(0);
    expect(up.length).toBeGreaterThan(0);
    const [u, r] = [down[0], up[0]];
    if (!u || !r) throw new Error("need both kinds of devices");
    await client.create(processObject(`t-${u.name}`, u.name, "SOC", "v1.0.0"));
    await client.create(processObject(`t-${r.name}`, r.name, "SOC", "v1.0.0"));
    await waitPhase(`t-${r.name}`, "Running", "v1.0.0");

    const lease = (d: string): Promise<KubeObject | undefined> =>
      client.get({ apiVersion: "coordination.k8s.io/v1", kind: "Lease", namespace: ns.name, name: leaseName(d) });
    const first = await waitFor("lease of a reachable device", () => lease(r.name));
    expect(first["spec"]).toMatchObject({ holderIdentity: r.name, leaseDurationSeconds: 300 });
    const renewTime = (first["spec"] as { renewTime: string }).renewTime;
    expect(renewTime).toMatch(/\.\d{6}Z$/);
    await waitFor("lease renewal", async () => {
      const t = ((await lease(r.name))?.["spec"] as { renewTime?: string } | undefined)?.renewTime;
      return t !== undefined && t !== renewTime ? t : undefined;
    });

    const leases = await client.list("coordination.k8s.io/v1", "Lease", { namespace: ns.name });
    const holders = new Set(leases.items.map((l) => (l["spec"] as { holderIdentity: string }).holderIdentity));
    for (const d of up) expect(holders.has(d.name)).toBe(true);
    for (const d of down) expect(holders.has(d.name)).toBe(false);
    expect(statusOf(await getDp(`t-${u.name}`))).toBeUndefined();
    expect(sim.stats()).toMatchObject({ processes: 1, unreachable: down.length });
  });
});
