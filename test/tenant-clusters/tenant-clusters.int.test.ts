/**
 * TenantClusters end to end (issue 19): the real CLI (`bosun serve`) with the real git server, the
 * real parent kube-apiserver (TenantCluster records and status, Kamaji's TCP CRD, inventory,
 * Events), the lab Kamaji running a real tenant kube-apiserver + controller-manager, and the lab
 * Proxmox whose started VMs boot a simulated worker that joins the tenant with a bootstrap token
 * (CSR → Node → Lease). Every change is a commit; each is checked in the TenantCluster status, the
 * status branch, the lab's VM list and, through `kubectl --kubeconfig <tenant admin.conf>`, in the
 * tenant itself. Then faults (task failure, 500s, a clone outliving its wait, the engine SIGKILLed
 * mid-create and mid-delete), bad input, and delete in reverse order.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import { createBareRepo, git, startGitServer, WorkTree, type GitServer } from "../../lab/git-server/index.ts";
import { pidRunning } from "../../lab/kube/proc.ts";
import { startLabKamaji, TCP_API_VERSION, TCP_KIND, type RunningLabKamaji } from "../../lab/kamaji/index.ts";
import { startLabProxmox, type LabProxmox, type LabVmView } from "../../lab/proxmox/index.ts";
import { waitEstablished } from "../../sinks/kubernetes/index.ts";
import { startEngineProcess, waitFor, type EngineProcess } from "../e2e/support.ts";
import { createTestNamespace, kubeClient, kubeConnection, type TestNamespace } from "../support/kube.ts";

const root = join(import.meta.dirname, "../..");
const run = promisify(execFile);
const API = "fleet.bosun.dev/v1alpha1";
const TOKEN_ENV = "BOSUN_E2E_PVE_TOKEN";

interface Workers {
  count: number;
  cores?: number;
  memoryMiB?: number;
  powerState?: "Running" | "Stopped";
  vmid?: number;
}

interface TcStatus {
  phase?: string;
  reason?: string;
  message?: string;
  endpoint?: string;
  kubernetesVersion?: string;
  nodesReady?: number;
  nodesTotal?: number;
  vms?: { name: string; vmid: number; state: string; cores?: number; cpuPercent?: number; memoryBytes?: number }[];
  conditions?: { type: string; status: string; reason: string; message: string }[];
}

function tenantYaml(ns: string, name: string, version: string, w: Workers): string {
  return `apiVersion: ${API}
kind: TenantCluster
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  controlPlane:
    version: ${version}
    replicas: 2
    serviceType: LoadBalancer
    port: 6443
    addons:
      coreDNS: {}
      kubeProxy: {}
  workers:
    count: ${w.count}
    cores: ${w.cores ?? 1}
    memoryMiB: ${w.memoryMiB ?? 512}
    diskGiB: 12
    template:
      vmid: ${w.vmid ?? 9000}
      node: pve1
    nodeSelector:
      nodes: ["pve1", "pve2"]
${w.powerState ? `    powerState: ${w.powerState}\n` : ""}`;
}

describe("TenantClusters end to end: Kamaji control plane with Proxmox workers", () => {
  let client: KubeClient;
  let ns: TestNamespace;
  let kamaji: RunningLabKamaji;
  let pve: LabProxmox;
  let server: GitServer;
  let gitRoot: string;
  let tree: WorkTree;
  let labDir: string;
  let engine: EngineProcess | undefined;
  let engineConfig: Record<string, unknown>;
  let version = "v1.30.2";
  let workers: Workers = { count: 3 };

  const acmeFile = (): string => tenantYaml(ns.name, "acme", version, workers);
  const push = (message: string, extra: Record<string, string | null> = {}): Promise<string> =>
    tree.commitAndPush("main", { "tenants/acme.yaml": acmeFile(), ...extra }, message);
  const statusOf = async (name = "acme"): Promise<TcStatus> =>
    ((await client.get({ apiVersion: API, kind: "TenantCluster", namespace: ns.name, name }))?.["status"] ??
      {}) as TcStatus;
  const labWorkers = (name = "acme"): LabVmView[] =>
    pve.vms().filter((v) => !v.template && v.name.startsWith(`${ns.name}-${name}-w`));
  const explain = async (): Promise<string> =>
    JSON.stringify({
      status: await statusOf().catch(() => "?"),
      vms: labWorkers().map((v) => [v.vmid, v.name, v.status, v.lock, v.cores]),
      kamaji: [...kamaji.controller.lastErrors()],
      engine: engine?.output().split("\n").slice(-12),
    });
  const waitStatus = (
    what: string,
    ok: (s: TcStatus) => boolean,
    timeoutMs = 150_000,
    name = "acme",
  ): Promise<TcStatus> =>
    waitFor(
      what,
      async () => {
        const s = await statusOf(name);
        return ok(s) ? s : undefined;
      },
      timeoutMs,
      250,
      explain,
    );
  const statusFile = async (name = "acme"): Promise<Record<string, unknown>> =>
    parse(
      await git([
        "--git-dir",
        join(gitRoot, "fleet.git"),
        "show",
        `bosun/status:objects/TenantCluster/${ns.name}/${name}.yaml`,
      ]),
    ) as Record<string, unknown>;
  /** `kubectl --kubeconfig <the tenant's admin.conf> get nodes`: name → Ready. */
  const tenantNodes = async (): Promise<Map<string, boolean>> => {
    const secret = (await client.get({
      apiVersion: "v1",
      kind: "Secret",
      namespace: ns.name,
      name: "acme-admin-kubeconfig",
    })) as unknown as { data: Record<string, string> };
    const file = join(labDir, "acme.kubeconfig");
    await writeFile(file, Buffer.from(secret.data["admin.conf"] as string, "base64"), { mode: 0o600 });
    const { stdout } = await run("kubectl", ["--kubeconfig", file, "get", "nodes", "-o", "json"]);
    const items = (
      JSON.parse(stdout) as {
        items: { metadata: { name: string }; status: { conditions: { type: string; status: string }[] } }[];
      }
    ).items;
    return new Map(
      items.map((n) => [n.metadata.name, n.status.conditions.some((c) => c.type === "Ready" && c.status === "True")]),
    );
  };
  const readyAt = async (what: string, count: number, timeoutMs = 180_000): Promise<TcStatus> => {
    const s = await waitStatus(what, (x) => x.phase === "Ready" && x.nodesReady === count, timeoutMs);
    await waitFor(
      `${what}: the status branch says Ready`,
      async () => {
        const f = await statusFile().catch(() => undefined);
        return f?.["phase"] === "Ready" && (f["counts"] as Record<string, number>)["nodesReady"] === count;
      },
      60_000,
      500,
      explain,
    );
    return s;
  };
  const names = (vms: readonly { name: string }[]): string[] => vms.map((v) => v.name).sort();
  const restartEngine = async (): Promise<void> => {
    engine = await startEngineProcess(engineConfig);
  };

  beforeAll(async () => {
    await run("bash", [join(root, "lab/kube/install-kubectl.sh")]);
    client = kubeClient({ qps: 200, burst: 400 });
    const crd = parse(readFileSync(join(root, "deploy/crds/fleet.bosun.dev_tenantclusters.yaml"), "utf8")) as Record<
      string,
      unknown
    >;
    await client.apply(crd, { fieldManager: "e2e", force: true });
    await waitEstablished(client, "tenantclusters.fleet.bosun.dev");
    ns = await createTestNamespace(client, "tenants");
    labDir = await mkdtemp(join(tmpdir(), "bosun-tc-e2e-"));
    kamaji = await startLabKamaji({ kube: kubeConnection(), pollMs: 250 });
    pve = await startLabProxmox({ stateDir: join(labDir, "pve"), heartbeatMs: 2000, authFailureDelayMs: 50 });
    process.env[TOKEN_ENV] = pve.tokens.admin.secret;
    gitRoot = await mkdtemp(join(tmpdir(), "bosun-tc-git-"));
    server = await startGitServer({ root: gitRoot });
    await createBareRepo(gitRoot, "fleet");
    tree = await WorkTree.open(`${server.url}/fleet.git`);
    await tree.commitAndPush(
      "main",
      {
        "bosun.yaml": `apiVersion: bosun.dev/v1alpha1\nkind: BosunConfig\ndefaults:\n  namespace: ${ns.name}\n  maxDeletionShare: 100%\nstatus:\n  minIntervalSeconds: 0\n`,
      },
      "bosun.yaml",
    );
    await push("tenant acme: 3 workers");
    engineConfig = {
      git: {
        repo: {
          url: `${server.url}/fleet.git`,
          ref: "main",
          mirrorDir: await mkdtemp(join(tmpdir(), "bosun-tc-mirror-")),
        },
        poll: { intervalMs: 1000, jitter: 0.1 },
      },
      kubernetes: { kubeconfig: kubeConnection().kubeconfigPath, qps: 100, burst: 200, stateNamespace: ns.name },
      engine: { requeueMs: 300 },
      listen: { host: "127.0.0.1", port: 0 },
      backends: {
        tenantClusters: {
          proxmox: {
            url: pve.url,
            caFile: pve.caFile,
            token: { id: pve.tokens.admin.tokenId, secretEnv: TOKEN_ENV },
            taskTimeoutMs: 6000,
            taskPollMs: 100,
          },
          snippets: { storage: pve.snippetVolume("x").split(":")[0], dir: pve.snippetsDir },
          shutdownTimeoutSeconds: 5,
        },
      },
    };
    await restartEngine();
  }, 900_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === "fail" && engine)
      writeFileSync(join(tmpdir(), `bosun-tc-e2e-engine-${ns.name}.log`), engine.output());
  });

  afterAll(async () => {
    await engine?.kill("SIGTERM");
    await kamaji?.stop();
    await pve?.stop();
    await tree?.dispose();
    await server?.stop();
    await ns?.cleanup();
    delete process.env[TOKEN_ENV];
    for (const d of [labDir, gitRoot]) if (d && existsSync(d)) await rm(d, { recursive: true, force: true });
  });

  it("creates the control plane, then 3 workers that join: kubectl get nodes shows 3 Ready", async () => {
    const s = await readyAt("acme Ready with 3 nodes", 3, 240_000);
    expect(s.endpoint).toMatch(/^127\.77\.\d+\.\d+:6443$/);
    expect(s.kubernetesVersion).toBe("v1.30.2");
    const vms = labWorkers();
    expect(names(vms)).toEqual([1, 2, 3].map((i) => `${ns.name}-acme-w${i}`));
    expect(vms.every((v) => v.status === "running" && v.cores === 1 && v.memoryMiB === 512)).toBe(true);
    // Spread over the eligible nodes; each VM proven Bosun's by its description.
    expect(new Set(vms.map((v) => v.node))).toEqual(new Set(["pve1", "pve2"]));
    for (const v of vms) expect(String(v.config["description"])).toContain(`bosun.dev/tenant-cluster=${ns.name}/acme`);
    const nodes = await tenantNodes();
    expect([...nodes.keys()].sort()).toEqual(names(vms));
    expect([...nodes.values()]).toEqual([true, true, true]);
    // Status: per-VM state and Proxmox metrics; conditions; the TCP is Kamaji's and Ready.
    expect(s.vms?.map((v) => v.state)).toEqual(["running", "running", "running"]);
    expect(s.vms?.every((v) => typeof v.cpuPercent === "number" && (v.memoryBytes ?? 0) > 0)).toBe(true);
    expect(s.conditions?.find((c) => c.type === "ControlPlaneReady")?.status).toBe("True");
    const tcp = (await client.get({
      apiVersion: TCP_API_VERSION,
      kind: TCP_KIND,
      namespace: ns.name,
      name: "acme",
    })) as unknown as { spec: { kubernetes: { version: string }; controlPlane: { deployment: { replicas: number } } } };
    expect(tcp.spec.kubernetes.version).toBe("v1.30.2");
    expect(tcp.spec.controlPlane.deployment.replicas).toBe(2);
    const f = await statusFile();
    expect(f).toMatchObject({ object: { kind: "TenantCluster", name: "acme" }, phase: "Ready" });
    // Kamaji's admin kubeconfig Secret (as the lab Kamaji writes it) and a tenant of its own.
    const secret = (await client.get({
      apiVersion: "v1",
      kind: "Secret",
      namespace: ns.name,
      name: "acme-admin-kubeconfig",
    })) as unknown as { data: Record<string, string>; metadata: { ownerReferences: { kind: string; name: string }[] } };
    expect(Object.keys(secret.data).sort()).toEqual(["admin.conf", "super-admin.conf"]);
    expect(secret.metadata.ownerReferences[0]).toMatchObject({ kind: TCP_KIND, name: "acme" });
    const { stdout: tenantNs } = await run("kubectl", [
      "--kubeconfig",
      join(labDir, "acme.kubeconfig"),
      "get",
      "ns",
      "-o",
      "name",
    ]);
    expect(tenantNs).toContain("namespace/kube-public");
    expect(tenantNs).not.toContain(`namespace/${ns.name}`);
    expect(JSON.stringify(f["conditions"])).toContain(s.endpoint as string);
  }, 400_000);

  it("scales to 5 and back to 2 (newest first: Node removed, VM gone)", async () => {
    workers = { count: 5 };
    await push("acme: 5 workers");
    await readyAt("acme Ready with 5 nodes", 5);
    expect(names(labWorkers())).toEqual([1, 2, 3, 4, 5].map((i) => `${ns.name}-acme-w${i}`));
    expect((await tenantNodes()).size).toBe(5);

    workers = { count: 2 };
    await push("acme: 2 workers");
    await readyAt("acme Ready with 2 nodes", 2);
    await waitFor("3 VMs gone", async () => labWorkers().length === 2, 60_000, 250, explain);
    expect(names(labWorkers())).toEqual([1, 2].map((i) => `${ns.name}-acme-w${i}`));
    expect([...(await tenantNodes()).keys()].sort()).toEqual([1, 2].map((i) => `${ns.name}-acme-w${i}`));
  }, 400_000);

  it("resizes (config + restart), stops and starts the workers", async () => {
    const before = new Map(labWorkers().map((v) => [v.vmid, v.pid]));
    workers = { count: 2, cores: 2, memoryMiB: 768 };
    await push("acme: 2 cores, 768 MiB");
    await waitFor(
      "both workers resized and restarted",
      async () => {
        const vms = labWorkers();
        const s = await statusOf();
        return (
          vms.length === 2 &&
          vms.every(
            (v) => v.cores === 2 && v.memoryMiB === 768 && v.status === "running" && v.pid !== before.get(v.vmid),
          ) &&
          s.phase === "Ready" &&
          s.nodesReady === 2 &&
          JSON.stringify(s.vms?.map((v) => v.cores)) === "[2,2]"
        );
      },
      180_000,
      250,
      explain,
    );
    expect((await statusOf()).vms?.map((v) => v.state)).toEqual(["running", "running"]);
    await waitFor(
      "the status branch shows the new size",
      async () =>
        JSON.stringify((await statusFile().catch(() => ({}) as Record<string, unknown>))["conditions"]).includes(
          "2 cores, 768 MiB",
        ),
      60_000,
    );
    // Prometheus: Proxmox metrics per VM, and the phase.
    const url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*metrics and health endpoints listening/.exec(
      engine?.output() ?? "",
    )?.[1];
    expect(url).toBeDefined();
    const metrics = await (await fetch(`${url}/metrics`)).text();
    for (const v of labWorkers()) {
      expect(metrics).toMatch(
        new RegExp(`bosun_tenant_cluster_vm_memory_bytes\\{namespace="${ns.name}",name="acme",vm="${v.name}"\\} [1-9]`),
      );
      expect(metrics).toContain(`bosun_tenant_cluster_vm_cpu_ratio{namespace="${ns.name}",name="acme",vm="${v.name}"}`);
    }
    expect(metrics).toContain(`bosun_tenant_cluster_phase{namespace="${ns.name}",name="acme",phase="Ready"} 1`);

    workers = { ...workers, powerState: "Stopped" };
    await push("acme: stop the workers");
    const stopped = await waitStatus("acme Stopped", (s) => s.phase === "Stopped");
    expect(labWorkers().map((v) => v.status)).toEqual(["stopped", "stopped"]);
    expect(stopped.vms?.map((v) => v.state)).toEqual(["stopped", "stopped"]);
    await waitFor(
      "status branch says Stopped",
      async () => (await statusFile().catch(() => ({}) as Record<string, unknown>))["phase"] === "Stopped",
      60_000,
    );

    workers = { ...workers, powerState: "Running" };
    await push("acme: start the workers");
    await readyAt("acme Ready again after start", 2);
    expect(labWorkers().map((v) => v.status)).toEqual(["running", "running"]);
  }, 400_000);

  it("updates the Kubernetes version of the control plane", async () => {
    // Kamaji refuses a downgrade and a skipped minor (its webhook, on a dry run: nothing is written).
    for (const [v, msg] of [
      ["v1.29.0", "unable to downgrade a TenantControlPlane from 1.30.0 to 1.29.0"],
      ["v1.32.0", "non-sequential"],
    ] as const) {
      const tcp = {
        apiVersion: TCP_API_VERSION,
        kind: TCP_KIND,
        metadata: { name: "acme", namespace: ns.name },
        spec: { kubernetes: { version: v, kubelet: {} }, controlPlane: { service: { serviceType: "LoadBalancer" } } },
      };
      const err = await client.apply(tcp, { fieldManager: "e2e", dryRun: true, force: true }).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err?.message).toContain(msg);
    }
    version = "v1.31.0";
    await push("acme: Kubernetes v1.31.0");
    const s = await waitStatus(
      "acme Ready on v1.31.0",
      (x) => x.phase === "Ready" && x.kubernetesVersion === "v1.31.0",
    );
    expect(s.nodesReady).toBe(2);
    const tcp = (await client.get({
      apiVersion: TCP_API_VERSION,
      kind: TCP_KIND,
      namespace: ns.name,
      name: "acme",
    })) as unknown as { status: { kubernetesResources: { version: { version: string; status: string } } } };
    expect(tcp.status.kubernetesResources.version).toEqual({ version: "v1.31.0", status: "Ready" });
    await waitFor(
      "status branch on v1.31.0",
      async () => {
        const f = await statusFile().catch(() => undefined);
        return JSON.stringify(f ?? {}).includes("v1.31.0");
      },
      60_000,
    );
  }, 400_000);

  it("reports a failed clone task and 500s with a clear reason, and recovers when the fault clears", async () => {
    pve.inject.taskFailure({ type: "qmclone", message: "clone failed: storage 'local-lvm' is full", times: 1000 });
    workers = { ...workers, count: 3 };
    await push("acme: 3 workers (clone fails)");
    const failing = await waitStatus("the clone failure in status", (s) => s.reason === "ProxmoxTaskFailed");
    expect(failing.message).toContain("storage 'local-lvm' is full");
    expect(failing.phase).toBe("Updating");
    expect(labWorkers()).toHaveLength(2); // a failed clone leaves nothing behind
    pve.inject.clear();
    pve.inject.http({ method: "POST", path: /\/clone$/, status: 500, message: "got timeout", times: 1000 });
    const http500 = await waitStatus("the 500s in status", (s) => s.reason === "ProxmoxUnavailable");
    expect(http500.message).toContain("500");
    pve.inject.clear();
    await readyAt("acme Ready with 3 nodes after the faults", 3);
    expect(labWorkers()).toHaveLength(3);
  }, 400_000);

  it("a clone outliving its wait, and an engine SIGKILLed mid-create, leave no duplicate VM", async () => {
    // Clones take 9 s: the engine's 6 s task wait ends first (ProxmoxTimeout), the locked VM is waited for.
    pve.inject.taskDelay({ type: "qmclone", ms: 9000, times: 1 });
    workers = { ...workers, count: 4 };
    await push("acme: 4 workers (slow clone)");
    await waitStatus("the timeout in status", (s) => s.reason === "ProxmoxTimeout", 60_000);
    await readyAt("acme Ready with 4 nodes", 4);
    expect(names(labWorkers())).toEqual([1, 2, 3, 4].map((i) => `${ns.name}-acme-w${i}`).sort());

    // SIGKILL while two clones run; the restarted engine finds them and clones nothing twice.
    pve.inject.taskDelay({ type: "qmclone", ms: 4000, times: 2 });
    workers = { ...workers, count: 6 };
    await push("acme: 6 workers (engine killed mid-create)");
    await waitFor(
      "two clones in flight",
      async () => labWorkers().filter((v) => v.lock === "clone").length === 2,
      60_000,
      100,
      explain,
    );
    await engine?.kill("SIGKILL");
    await restartEngine();
    await readyAt("acme Ready with 6 nodes after the engine restart", 6);
    const vms = labWorkers();
    expect(vms).toHaveLength(6);
    expect(new Set(vms.map((v) => v.name)).size).toBe(6);
    expect((await tenantNodes()).size).toBe(6);
  }, 400_000);

  it("refuses bad input with a clear status and creates nothing", async () => {
    await tree.commitAndPush(
      "main",
      {
        "tenants/no-template.yaml": tenantYaml(ns.name, "no-template", "v1.30.2", { count: 1, vmid: 4242 }),
        "tenants/too-big.yaml": tenantYaml(ns.name, "too-big", "v1.30.2", { count: 1, cores: 64 }),
        "tenants/too-new.yaml": tenantYaml(ns.name, "too-new", "v1.99.0", { count: 1 }),
      },
      "three bad tenants",
    );
    const t = await waitStatus("no-template Failed", (s) => s.phase === "Failed", 60_000, "no-template");
    expect(t.reason).toBe("TemplateNotFound");
    expect(t.message).toContain("template VM 4242");
    const b = await waitStatus("too-big Failed", (s) => s.phase === "Failed", 60_000, "too-big");
    expect(b.reason).toBe("InsufficientCapacity");
    expect(b.message).toContain("64 cores");
    const n = await waitStatus("too-new Failed", (s) => s.phase === "Failed", 60_000, "too-new");
    expect(n.reason).toBe("VersionRefused");
    expect(n.message).toContain("greater than the supported one");
    for (const name of ["no-template", "too-big", "too-new"]) {
      expect(
        await client.get({ apiVersion: TCP_API_VERSION, kind: TCP_KIND, namespace: ns.name, name }),
      ).toBeUndefined();
      expect(labWorkers(name)).toEqual([]);
      await waitFor(
        `${name} Failed in the status branch`,
        async () => (await statusFile(name).catch(() => ({}) as Record<string, unknown>))["phase"] === "Failed",
        60_000,
      );
    }
    await tree.commitAndPush(
      "main",
      { "tenants/no-template.yaml": null, "tenants/too-big.yaml": null, "tenants/too-new.yaml": null },
      "bad tenants removed",
    );
    await waitFor(
      "bad tenants' records gone",
      async () => (await client.list(API, "TenantCluster", { namespace: ns.name })).items.length === 1,
      60_000,
    );
  }, 400_000);

  it("deletes in reverse order (VMs, control plane, Secrets), resuming after a SIGKILL mid-delete", async () => {
    const tenantCp = kamaji.controller.running().find((r) => r.key === `${ns.name}/acme`);
    expect(tenantCp?.apiserverPid).toBeGreaterThan(0);
    pve.inject.taskDelay({ type: "qmdestroy", ms: 3000, times: 6 });
    await tree.commitAndPush("main", { "tenants/acme.yaml": null }, "acme removed");
    await waitStatus("acme Deleting", (s) => s.phase === "Deleting", 60_000);
    await waitFor(
      "a destroy in flight",
      async () => labWorkers().some((v) => v.lock === "destroyed"),
      60_000,
      100,
      explain,
    );
    await engine?.kill("SIGKILL");
    await restartEngine();
    await waitFor(
      "acme gone",
      async () =>
        labWorkers().length === 0 &&
        (await client.get({ apiVersion: API, kind: "TenantCluster", namespace: ns.name, name: "acme" })) === undefined,
      180_000,
      250,
      explain,
    );
    expect(
      await client.get({ apiVersion: TCP_API_VERSION, kind: TCP_KIND, namespace: ns.name, name: "acme" }),
    ).toBeUndefined();
    expect(
      await client.get({ apiVersion: "v1", kind: "Secret", namespace: ns.name, name: "acme-admin-kubeconfig" }),
    ).toBeUndefined();
    expect(kamaji.controller.running()).toEqual([]);
    expect(pidRunning(tenantCp?.apiserverPid as number, "kube-apiserver")).toBe(false);
    expect(pidRunning(tenantCp?.controllerManagerPid as number, "kube-controller-manager")).toBe(false);
    expect(pve.vms().filter((v) => !v.template)).toEqual([]);
    await waitFor(
      "acme's file gone from the status branch",
      async () => (await statusFile().catch(() => undefined)) === undefined,
      60_000,
    );
  }, 400_000);
});
