/**
 * The TenantCluster decisions on plain data (engine/kinds/tenant-cluster): refusals before anything
 * is created, order (control plane first), placement, scale down newest first, resize within the
 * restart budget per Proxmox node, power state, and the phases of the status.
 */
import { describe, expect, it } from "vitest";
import { decide } from "../../engine/kinds/tenant-cluster/decide.ts";
import type { LiveWorker, TenantSnapshot } from "../../engine/kinds/tenant-cluster/ports.ts";
import { readTenantCluster, type TenantCluster } from "../../engine/kinds/tenant-cluster/spec.ts";
import { assess } from "../../engine/kinds/tenant-cluster/status.ts";
import { parseWorkerDescription, workerDescription } from "../../engine/kinds/tenant-cluster/workers.ts";
import { tenantControlPlane } from "../../engine/kinds/tenant-cluster/tcp.ts";

function tenant(workers: Record<string, unknown> = {}, version = "v1.30.2"): TenantCluster {
  return readTenantCluster({
    apiVersion: "fleet.bosun.dev/v1alpha1",
    kind: "TenantCluster",
    namespace: "tenants",
    name: "acme",
    source: { file: "tenants/acme.yaml", line: 1, col: 1 },
    body: {
      metadata: { name: "acme", namespace: "tenants" },
      spec: {
        controlPlane: { version, replicas: 2, serviceType: "LoadBalancer", port: 6443, addons: { coreDNS: {} } },
        workers: {
          count: 3,
          cores: 2,
          memoryMiB: 2048,
          diskGiB: 20,
          template: { vmid: 9000, node: "pve1" },
          nodeSelector: { nodes: ["pve1", "pve2"] },
          powerState: "Running",
          ...workers,
        },
      },
    },
  });
}

const worker = (index: number, over: Partial<LiveWorker> = {}): LiveWorker => ({
  vmid: 100 + index,
  node: index % 2 === 1 ? "pve1" : "pve2",
  name: `tenants-acme-w${index}`,
  index,
  power: "running",
  lock: undefined,
  cores: 2,
  memoryMiB: 2048,
  bootedSize: "2x2048",
  joinConfigured: true,
  diskGiB: 20,
  cpu: 0.1,
  memBytes: 1e8,
  maxmemBytes: 2e9,
  ...over,
});

function live(over: Partial<TenantSnapshot> = {}): TenantSnapshot {
  const workers = over.workers ?? [worker(1), worker(2), worker(3)];
  return {
    tcp: {
      specVersion: "v1.30.2",
      inSync: true,
      deleting: false,
      versionStatus: "Ready",
      version: "v1.30.2",
      endpoint: "127.77.0.1:6443",
      adminSecretName: "acme-admin-kubeconfig",
    },
    tcpRefusal: undefined,
    duplicates: [],
    nodes: workers.map((w) => ({ name: w.name, ready: true })),
    proxmoxNodes: [
      { name: "pve1", online: true, maxcpu: 8, maxmemMiB: 16384 },
      { name: "pve2", online: true, maxcpu: 8, maxmemMiB: 16384 },
      { name: "pve3", online: true, maxcpu: 64, maxmemMiB: 262144 },
    ],
    template: { vmid: 9000, node: "pve1" },
    previous: undefined,
    ...over,
    workers,
  };
}

const now = new Date("2026-11-30T12:00:00Z");

describe("TenantCluster decisions", () => {
  it("a settled cluster does nothing and is Ready", () => {
    const t = tenant();
    const s = decide(t, live());
    expect(s).toMatchObject({
      refusal: undefined,
      applyTcp: false,
      tcpReady: true,
      clones: [],
      removals: [],
      restarts: [],
    });
    const a = assess(t, live(), s, [], now);
    expect(a.phase).toBe("Ready");
    expect(a.progressing).toBe(false);
    expect(a.status).toMatchObject({
      nodesReady: 3,
      nodesTotal: 3,
      endpoint: "127.77.0.1:6443",
      firstReadyTime: now.toISOString(),
    });
  });

  it("creates the TenantControlPlane first and clones nothing until it is Ready", () => {
    const t = tenant();
    const s = decide(t, live({ tcp: undefined, workers: [], nodes: undefined }));
    expect(s.applyTcp).toBe(true);
    expect(s.clones).toEqual([]);
    expect(assess(t, live({ tcp: undefined, workers: [], nodes: undefined }), s, [], now).phase).toBe("Pending");
    const provisioning = live({
      workers: [],
      nodes: [],
      tcp: { ...live().tcp!, versionStatus: "Provisioning", version: undefined },
    });
    expect(decide(t, provisioning).clones).toEqual([]);
  });

  it("clones missing workers onto the eligible nodes with the fewest of them, never pve3 (not selected)", () => {
    const s = decide(tenant({ count: 5 }), live());
    expect(s.clones).toEqual([
      { index: 4, node: "pve2" },
      { index: 5, node: "pve1" },
    ]);
  });

  it("refuses before creating anything: missing template, a size no node holds, a version Kamaji refuses", () => {
    const fresh = live({ tcp: undefined, workers: [], nodes: undefined });
    const noTemplate = decide(tenant(), { ...fresh, template: undefined });
    expect(noTemplate.refusal?.reason).toBe("TemplateNotFound");
    expect(noTemplate.applyTcp).toBe(false);
    const big = decide(tenant({ cores: 32 }), fresh);
    expect(big.refusal).toMatchObject({ reason: "InsufficientCapacity" });
    expect(big.refusal?.message).toContain("pve1: 8 cores, 16384 MiB");
    const refused = decide(tenant({}, "v1.99.0"), {
      ...fresh,
      tcpRefusal: "unable to create … greater than the supported one",
    });
    expect(refused.refusal?.reason).toBe("VersionRefused");
    expect(refused.applyTcp).toBe(false);
    const a = assess(tenant({}, "v1.99.0"), fresh, refused, [], now);
    expect(a).toMatchObject({ phase: "Failed", reason: "VersionRefused", progressing: false });
  });

  it("scales down newest first", () => {
    const s = decide(tenant({ count: 1 }), live());
    expect(s.removals.map((w) => w.index)).toEqual([3, 2]);
    expect(s.kept.map((w) => w.index)).toEqual([1]);
  });

  it("keeps one VM per index: a second one (a clone repeated around a crash) is a duplicate", () => {
    const s = decide(tenant(), live({ duplicates: [worker(2, { vmid: 200 })] }));
    expect(s.duplicates.map((w) => w.vmid)).toEqual([200]);
    expect(s.clones).toEqual([]);
  });

  it("resizes every worker at once but restarts within the budget per Proxmox node", () => {
    const t = tenant({ count: 4, cores: 4 });
    const l = live({ workers: [worker(1), worker(2), worker(3), worker(4)] });
    const s = decide(t, l);
    expect(s.resizes.map((w) => w.index)).toEqual([1, 2, 3, 4]);
    // w1, w3 on pve1; w2, w4 on pve2: one restart per node.
    expect(s.restarts.map((w) => w.index)).toEqual([1, 2]);
    expect(s.restartsHeld).toBe(2);
    expect(decide(t, l, { restartBudgetPerNode: 2 }).restarts).toHaveLength(4);
    // A worker whose Node is not Ready holds its node's budget.
    const busy = {
      ...l,
      workers: l.workers.map((w) => (w.index === 1 ? { ...w, bootedSize: "4x2048", cores: 4 } : w)),
    };
    busy.nodes = busy.workers.map((w) => ({ name: w.name, ready: w.index !== 1 }));
    expect(decide(t, busy).restarts.map((w) => w.index)).toEqual([2]);
  });

  it("stops and starts by powerState; Stopped once all are down", () => {
    const stop = decide(tenant({ powerState: "Stopped" }), live());
    expect(stop.shutdowns.map((w) => w.index)).toEqual([1, 2, 3]);
    const down = live({ workers: [1, 2, 3].map((i) => worker(i, { power: "stopped" })) });
    const t = tenant({ powerState: "Stopped" });
    const s = decide(t, down);
    expect(s.shutdowns).toEqual([]);
    expect(assess(t, down, s, [], now).phase).toBe("Stopped");
    expect(decide(tenant(), down).starts.map((w) => w.index)).toEqual([1, 2, 3]);
  });

  it("a new worker is configured (join data, size, disk) before its start", () => {
    const fresh = worker(3, {
      power: "stopped",
      joinConfigured: false,
      cores: 2,
      memoryMiB: 2048,
      diskGiB: 10,
      bootedSize: undefined,
    });
    const s = decide(tenant(), live({ workers: [worker(1), worker(2), fresh] }));
    expect(s.configures.map((w) => w.index)).toEqual([3]);
    expect(s.starts.map((w) => w.index)).toEqual([3]);
  });

  it("an update after the first Ready is Updating, with the step's failure as reason", () => {
    const t = tenant({ count: 4 });
    const l = live({ previous: { firstReadyTime: "2026-11-30T11:00:00Z" } as TenantSnapshot["previous"] });
    const a = assess(
      t,
      l,
      decide(t, l),
      [{ reason: "ProxmoxTaskFailed", message: "cloning worker 4: task failed" }],
      now,
    );
    expect(a).toMatchObject({ phase: "Updating", reason: "ProxmoxTaskFailed", progressing: true });
    expect(a.status.conditions.find((c) => c.type === "WorkersReady")?.reason).toBe("ProxmoxTaskFailed");
  });

  it("VM ownership is proven by the description; the TCP carries seed 001's fields", () => {
    const d = workerDescription("tenants/acme", 7, "2x2048");
    expect(parseWorkerDescription(d)).toEqual({ tenant: "tenants/acme", index: 7, bootedSize: "2x2048" });
    expect(parseWorkerDescription("bosun.dev/tenant-cluster=tenants/acme\nbosun.dev/worker=7")).toBeUndefined();
    expect(tenantControlPlane(tenant())).toMatchObject({
      apiVersion: "kamaji.clastix.io/v1alpha1",
      kind: "TenantControlPlane",
      spec: {
        kubernetes: { version: "v1.30.2" },
        controlPlane: { deployment: { replicas: 2 }, service: { serviceType: "LoadBalancer" } },
        networkProfile: { port: 6443 },
        addons: { coreDNS: {} },
      },
    });
  });
});
