/**
 * The virtual node against the lab kube-apiserver and the lab Flightctl: the Node with capacity
 * summed from the devices outside fleets, Ready and a renewed Lease; Pods bound to it (by nodeName,
 * or by the provider toleration and a node selector) placed on a matching device with room, pushed
 * as applications, mirrored back as Running (`kubectl get pod -o wide`); a Pod that fits nowhere
 * Pending; a deleted Pod's application removed from its device.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeClient, KubeObject } from "../../clients/kubernetes/index.ts";
import { createLogger } from "../../engine/log/logger.ts";
import { labDevices, startLabFlightctl, type LabFlightctl } from "../../lab/flightctl/index.ts";
import { FlightctlEdgeFleet, flightctlClientOf } from "../../sinks/flightctl/index.ts";
import { VirtualNode } from "../../sinks/flightctl/virtual-node/index.ts";
import { createTestNamespace, kubeClient, kubectlEnv, type TestNamespace } from "../support/kube.ts";

const run = promisify(execFile);
const signal = new AbortController().signal;
let dir: string;
let lab: LabFlightctl;
let kube: KubeClient;
let ns: TestNamespace;
let node: VirtualNode;
let client: ReturnType<typeof flightctlClientOf>;
const nodeName = `vk-flightctl-${randomBytes(3).toString("hex")}`;

async function until<T>(what: string, get: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = await get().catch(() => undefined);
    if (v !== undefined) return v;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const pod = (name: string, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: ns.name },
  spec: { restartPolicy: "Always", ...spec },
});

const getPod = (name: string): Promise<KubeObject | undefined> =>
  kube.get({ apiVersion: "v1", kind: "Pod", namespace: ns.name, name });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "bosun-vk-"));
  const devices = [
    ...labDevices(4, ["north"]),
    { name: "pod-dev-a", labels: { pool: "pods", zone: "a" }, cpu: "1", memory: "1Gi" },
    { name: "pod-dev-b", labels: { pool: "pods", zone: "b" }, cpu: "1", memory: "1Gi" },
    { name: "pod-dev-c", labels: { pool: "pods", zone: "b" }, cpu: "2", memory: "2Gi" },
  ];
  lab = await startLabFlightctl({ dir, devices, simulation: { stepMs: 100 }, tickMs: 20 });
  client = flightctlClientOf({
    url: lab.url,
    ca: await readFile(lab.caFile, "utf8"),
    insecureSkipVerify: false,
    offlineTimeoutMs: 30_000,
  });
  kube = kubeClient();
  ns = await createTestNamespace(kube, "vk");
  node = new VirtualNode({
    kube,
    edge: new FlightctlEdgeFleet(client, 30_000),
    config: { name: nodeName, deviceSelector: { matchLabels: { pool: "pods" } }, heartbeatSeconds: 1 },
    logger: createLogger({ level: "silent" }),
    syncMs: 200,
  });
  node.start();
});

afterAll(async () => {
  await node?.stop();
  await kube?.delete({ apiVersion: "v1", kind: "Node", name: nodeName }).catch(() => undefined);
  await kube
    ?.delete({ apiVersion: "coordination.k8s.io/v1", kind: "Lease", namespace: "kube-node-lease", name: nodeName })
    .catch(() => undefined);
  await ns?.cleanup().catch(() => undefined);
  await client?.close();
  await lab?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("virtual node on Flightctl devices", () => {
  it("registers the Node with the devices' capacity, Ready, and renews its Lease", async () => {
    const n = await until("node Ready", async () => {
      const o = await kube.get({ apiVersion: "v1", kind: "Node", name: nodeName });
      const ready = ((o?.["status"] as { conditions?: { type: string; status: string }[] })?.conditions ?? []).find(
        (c) => c.type === "Ready",
      );
      return ready?.status === "True" ? o : undefined;
    });
    const status = n["status"] as { capacity: Record<string, string> };
    expect(status.capacity).toEqual({ cpu: "4", memory: "4Gi", pods: "30" }); // 1+1+2 CPUs, 1+1+2 GiB
    expect(n.metadata.labels).toMatchObject({ type: "virtual-kubelet", "kubernetes.io/hostname": nodeName });
    const lease = () =>
      kube.get({ apiVersion: "coordination.k8s.io/v1", kind: "Lease", namespace: "kube-node-lease", name: nodeName });
    const first = ((await until("lease", lease))["spec"] as { renewTime: string }).renewTime;
    const renewed = await until("lease renewed", async () => {
      const t = ((await lease())?.["spec"] as { renewTime?: string } | undefined)?.renewTime;
      return t && t !== first ? t : undefined;
    });
    expect(Date.parse(renewed)).toBeGreaterThan(Date.parse(first));
  });

  it("runs a Pod bound by nodeName on a device matching its node selector; kubectl shows it Running", async () => {
    await kube.create(
      pod("counter", {
        nodeName,
        nodeSelector: { zone: "b" },
        containers: [
          { name: "app", image: "quay.io/acme/counter:1", resources: { requests: { cpu: "1500m", memory: "512Mi" } } },
        ],
      }),
    );
    const running = await until("counter Running", async () => {
      const p = await getPod("counter");
      return (p?.["status"] as { phase?: string })?.phase === "Running" ? p : undefined;
    });
    // zone b, and only pod-dev-c has 1.5 CPUs free.
    expect(running.metadata.annotations?.["edge.bosun.dev/device"]).toBe("pod-dev-c");
    const status = running["status"] as {
      conditions: { type: string; status: string }[];
      containerStatuses: Record<string, unknown>[];
    };
    expect(status.conditions.find((c) => c.type === "Ready")?.status).toBe("True");
    expect(status.containerStatuses[0]).toMatchObject({
      name: "app",
      ready: true,
      containerID: `flightctl://pod-dev-c/${ns.name}-counter`,
    });
    const device = await client.getDevice("pod-dev-c", signal);
    expect(device.spec?.applications).toEqual([
      { appType: "container", name: `${ns.name}-counter`, image: "quay.io/acme/counter:1" },
    ]);
    const { stdout } = await run("kubectl", ["get", "pod", "counter", "-n", ns.name, "-o", "wide", "--no-headers"], {
      env: kubectlEnv(),
    });
    expect(stdout).toMatch(new RegExp(`^counter\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+<none>\\s+${nodeName}\\s`));
  });

  it("binds a Pod with the provider toleration and a node selector; a Pod that fits nowhere stays Pending", async () => {
    await kube.create(
      pod("tolerant", {
        nodeSelector: { type: "virtual-kubelet", zone: "a" },
        tolerations: [{ key: "virtual-kubelet.io/provider", operator: "Exists", effect: "NoSchedule" }],
        containers: [{ name: "app", image: "quay.io/acme/tolerant:1" }],
      }),
    );
    await kube.create(
      pod("huge", {
        nodeName,
        containers: [{ name: "app", image: "quay.io/acme/huge:1", resources: { requests: { cpu: "3" } } }],
      }),
    );
    const t = await until("tolerant Running", async () => {
      const p = await getPod("tolerant");
      return (p?.["status"] as { phase?: string })?.phase === "Running" ? p : undefined;
    });
    expect((t["spec"] as { nodeName: string }).nodeName).toBe(nodeName);
    expect(t.metadata.annotations?.["edge.bosun.dev/device"]).toBe("pod-dev-a");
    const huge = await until("huge unschedulable", async () => {
      const p = await getPod("huge");
      const c = (
        (p?.["status"] as { conditions?: { type: string; reason?: string; message?: string }[] })?.conditions ?? []
      ).find((x) => x.type === "PodScheduled");
      return c?.reason === "Unschedulable" ? c : undefined;
    });
    expect(huge.message).toMatch(/none with 3000m CPU/);
  });

  it("deleting a Pod removes its application from the device, then the Pod", async () => {
    await kube.delete({ apiVersion: "v1", kind: "Pod", namespace: ns.name, name: "counter" });
    await until("counter gone", async () => ((await getPod("counter")) === undefined ? true : undefined));
    const device = await client.getDevice("pod-dev-c", signal);
    expect(device.spec?.applications).toEqual([]);
    expect(device.metadata.annotations?.["edge.bosun.dev/applications"]).toBeUndefined();
    // The other Pod's application stays.
    expect((await client.getDevice("pod-dev-a", signal)).spec?.applications?.map((a) => a.name)).toEqual([
      `${ns.name}-tolerant`,
    ]);
  });
});
