/**
 * FAR agents end to end (issue 18): the real CLI (`bosun serve`) with the real git server, the real
 * kube-apiserver (FARAgent records and status, inventory, Events) and two lab flintlockd hosts
 * whose microVMs are real QEMU processes (TCG, no NIC): one over mTLS with a Basic token, one over
 * its Unix socket. Six agents go through every lifecycle state by commits; a running VM is checked
 * by its process and its serial console; resurrect finds the volume its predecessor wrote; a VM
 * killed out of band comes back; a host stopped mid-rollout makes its agents unreachable within the
 * per-host budget; an engine SIGKILLed mid-transition resumes without a second VM. At most 4 VMs
 * run at once.
 */
import { execFile } from "node:child_process";
import { readFileSync, existsSync, writeFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import { createBareRepo, startGitServer, WorkTree, type GitServer } from "../../lab/git-server/index.ts";
import {
  engineHostConfig,
  ensureQemuImages,
  startLabHost,
  type LabHost,
  type QemuProvider,
} from "../../lab/flintlock/index.ts";
import { waitEstablished } from "../../sinks/kubernetes/index.ts";
import { createTestNamespace, kubeClient, kubeConnection, type TestNamespace } from "../support/kube.ts";
import { startEngineProcess, waitFor, type EngineProcess } from "./support.ts";

const root = join(import.meta.dirname, "../..");
const run = promisify(execFile);
const TOKEN_ENV = "BOSUN_E2E_FLINTLOCK_TOKEN";
const API = "agents.tinkerbell.io/v1alpha1";

interface Agent {
  name: string;
  state: string;
  host: string;
  cmdline?: string;
}

function agentYaml(ns: string, a: Agent): string {
  return `apiVersion: ${API}
kind: FARAgent
metadata:
  name: ${a.name}
  namespace: ${ns}
spec:
  taskId: task-${a.name}
  resourceLimits:
    cpu: "1"
    memory: 256Mi
  lifecycle:
    state: ${a.state}
  microvm:
    host: ${a.host}
    kernel:
      image: ghcr.io/tinkerbell/far-kernel:6.1.90
      cmdline:
        far.rev: "${a.cmdline ?? "1"}"
    rootVolume:
      image: ghcr.io/tinkerbell/far-agent-rootfs:1.4.0
`;
}

describe("FAR agents end to end on two QEMU Flintlock hosts", () => {
  let client: KubeClient;
  let ns: TestNamespace;
  let server: GitServer;
  let gitRoot: string;
  let tree: WorkTree;
  let labDir: string;
  let hosts: LabHost[];
  let engine: EngineProcess | undefined;
  let engineConfig: Record<string, unknown>;
  let agents: Agent[];
  /** Most QEMU processes seen at once, and most microVMs of host A down at once during the rollout. */
  let maxVMs = 0;

  const host = (name: string): LabHost => hosts.find((h) => h.name === name) as LabHost;
  const qemu = (h: LabHost): QemuProvider => h.provider as QemuProvider;
  const vmsOf = (name: string) =>
    hosts.flatMap((h) =>
      h.flintlockd
        .snapshot()
        .filter((v) => v.name === name)
        .map((v) => ({ ...v, host: h.name })),
    );
  const running = (): number => hosts.reduce((n, h) => n + qemu(h).running().length, 0);
  const statusOf = async (name: string): Promise<Record<string, unknown>> =>
    ((await client.get({ apiVersion: API, kind: "FARAgent", namespace: ns.name, name }))?.["status"] ?? {}) as Record<
      string,
      unknown
    >;
  const push = async (message: string): Promise<void> => {
    await tree.commitAndPush(
      "main",
      Object.fromEntries(agents.map((a) => [`agents/${a.name}.yaml`, agentYaml(ns.name, a)])),
      message,
    );
  };
  const set = (name: string, change: Partial<Agent>): void => {
    agents = agents.map((a) => (a.name === name ? { ...a, ...change } : a));
  };
  /** Waits until every agent's status says `want` (resurrect ends active) and no VM is PENDING or DELETING. */
  const settled = async (what: string, timeoutMs = 150_000): Promise<void> => {
    await waitFor(
      what,
      async () => {
        maxVMs = Math.max(maxVMs, running());
        for (const a of agents) {
          const want = a.state === "resurrect" ? "active" : a.state;
          if ((await statusOf(a.name))["currentState"] !== want) return false;
        }
        return hosts.every((h) => h.flintlockd.snapshot().every((v) => v.state === "CREATED"));
      },
      timeoutMs,
      250,
      async () =>
        JSON.stringify({
          statuses: await Promise.all(agents.map(async (a) => [a.name, await statusOf(a.name)])),
          vms: hosts.map((h) => [h.name, h.flintlockd.snapshot()]),
          engine: engine?.output().split("\n").slice(-15),
        }),
    );
  };
  /** The one VM of an agent: its QEMU process is alive and its console says it booted. */
  const assertRunning = async (name: string): Promise<{ uid: string; host: string; serial: string }> => {
    const vms = vmsOf(name).filter((v) => v.state !== "DELETING");
    expect(vms, `${name}: one microVM`).toHaveLength(1);
    const vm = vms[0]!;
    expect(vm.state).toBe("CREATED");
    const pid = qemu(host(vm.host)).pid(vm.uid);
    expect(pid, `${name}: a QEMU process`).toBeGreaterThan(0);
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    expect(cmdline[0]).toMatch(/qemu-system-x86_64$/);
    expect(cmdline).toContain("microvm");
    expect(cmdline).toContain("none"); // -nic none
    const serial = await readFile(qemu(host(vm.host)).serialLogPath(vm.uid), "utf8");
    expect(serial).toContain(`FAR-AGENT-READY ${ns.name}/${name} ${vm.uid}`);
    expect((await statusOf(name))["microvmUID"]).toBe(vm.uid);
    return { uid: vm.uid, host: vm.host, serial };
  };
  const assertNoVM = (name: string): void => {
    expect(vmsOf(name), `${name}: no microVM`).toEqual([]);
  };

  beforeAll(async () => {
    client = kubeClient({ qps: 200, burst: 400 });
    const crd = readFileSync(join(root, "deploy/crds/agents.tinkerbell.io_faragents.yaml"), "utf8");
    const { parse } = await import("yaml");
    await client.apply(parse(crd) as Record<string, unknown>, { fieldManager: "e2e", force: true });
    await waitEstablished(client, "faragents.agents.tinkerbell.io");
    ns = await createTestNamespace(client, "far");
    labDir = await mkdtemp(join(tmpdir(), "bosun-far-e2e-"));
    const images = await ensureQemuImages();
    process.env[TOKEN_ENV] = "e2e-flintlock-token";
    const capacity = { vcpu: 3, memoryMiB: 1024 };
    hosts = [
      await startLabHost({
        name: "host-a",
        provider: "qemu",
        images,
        capacity,
        stateDir: join(labDir, "a"),
        tcp: "mtls",
        unix: false,
        basicAuthToken: "e2e-flintlock-token",
      }),
      await startLabHost({
        name: "host-b",
        provider: "qemu",
        images,
        capacity,
        stateDir: join(labDir, "b"),
        tcp: "none",
      }),
    ];
    gitRoot = await mkdtemp(join(tmpdir(), "bosun-far-git-"));
    server = await startGitServer({ root: gitRoot });
    await createBareRepo(gitRoot, "fleet");
    tree = await WorkTree.open(`${server.url}/fleet.git`);
    await tree.commitAndPush(
      "main",
      {
        "bosun.yaml": `apiVersion: bosun.dev/v1alpha1\nkind: BosunConfig\ndefaults:\n  namespace: ${ns.name}\n  maxDeletionShare: 100%\n  rollout:\n    maxUnavailable: 2\n`,
      },
      "bosun.yaml",
    );
    agents = [
      { name: "ada", state: "active", host: "host-a" },
      { name: "bob", state: "active", host: "host-b" },
      { name: "cyd", state: "sleep", host: "host-b" },
      { name: "dee", state: "blocked", host: "host-a" },
      { name: "eve", state: "force-sleep", host: "host-b" },
      { name: "fay", state: "active", host: "host-a" },
    ];
    await push("six FAR agents");
    engineConfig = {
      git: {
        repo: {
          url: `${server.url}/fleet.git`,
          ref: "main",
          mirrorDir: await mkdtemp(join(tmpdir(), "bosun-far-mirror-")),
        },
        poll: { intervalMs: 1000, jitter: 0.1 },
      },
      kubernetes: { kubeconfig: kubeConnection().kubeconfigPath, qps: 100, burst: 200, stateNamespace: ns.name },
      engine: { requeueMs: 300 },
      listen: { host: "127.0.0.1", port: 0 },
      backends: {
        flintlock: {
          timeoutMs: 5000,
          deleteTimeoutMs: 30_000,
          hosts: [
            engineHostConfig(host("host-a").config({ tokenEnv: TOKEN_ENV })),
            engineHostConfig(host("host-b").config({ via: "unix" })),
          ],
        },
      },
    };
    engine = await startEngineProcess(engineConfig);
  }, 900_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === "fail" && engine)
      writeFileSync(join(tmpdir(), `bosun-far-e2e-engine-${ns.name}.log`), engine.output());
  });

  afterAll(async () => {
    await engine?.kill("SIGTERM");
    for (const h of hosts ?? []) await h.stop();
    await tree?.dispose();
    await server?.stop();
    await ns?.cleanup();
    delete process.env[TOKEN_ENV];
    for (const d of [labDir, gitRoot]) if (d && existsSync(d)) await rm(d, { recursive: true, force: true });
  });

  it("runs a VM for active agents only, and takes each agent through every lifecycle state by commits", async () => {
    await settled("six agents settled");
    for (const name of ["ada", "bob", "fay"]) await assertRunning(name);
    for (const name of ["cyd", "dee", "eve"]) assertNoVM(name);
    expect(await statusOf("dee")).toMatchObject({ currentState: "blocked" });
    expect(await statusOf("eve")).toMatchObject({ currentState: "force-sleep" });

    // fay sleeps (graceful: the guest sees the power button), cyd wakes up.
    const fay = await assertRunning("fay");
    set("fay", { state: "sleep" });
    set("cyd", { state: "active" });
    await push("fay sleeps, cyd wakes");
    await settled("fay asleep, cyd active");
    assertNoVM("fay");
    expect(await readFile(qemu(host(fay.host)).serialLogPath(fay.uid), "utf8")).toContain(
      `FAR-AGENT-POWERDOWN ${fay.uid}`,
    );
    expect(await statusOf("fay")).toMatchObject({ currentState: "sleep", host: "host-a" });
    await assertRunning("cyd");

    // fay resurrects from its kept volume (the previous boot's uid is on it); bob is force-slept (no powerdown).
    const bob = await assertRunning("bob");
    set("fay", { state: "resurrect" });
    set("bob", { state: "force-sleep" });
    await push("fay resurrects, bob force-sleeps");
    await settled("fay resurrected, bob force-slept");
    const back = await assertRunning("fay");
    expect(back.host).toBe(fay.host);
    expect(back.uid).not.toBe(fay.uid);
    expect(back.serial).toMatch(new RegExp(`FAR-AGENT-VOLUME previous=[^\\n]*${fay.uid},`));
    expect(await statusOf("fay")).toMatchObject({ currentState: "active", reason: "Resurrected" });
    assertNoVM("bob");
    expect(await readFile(qemu(host(bob.host)).serialLogPath(bob.uid), "utf8")).not.toContain("FAR-AGENT-POWERDOWN");

    // dee stays blocked through all of it; the Events name the transitions.
    assertNoVM("dee");
    const events = await client.list("v1", "Event", { namespace: ns.name });
    const reasons = events.items.map((e) => `${(e["involvedObject"] as { name: string }).name}:${String(e["reason"])}`);
    expect(reasons).toEqual(
      expect.arrayContaining(["fay:Stopping", "fay:Sleeping", "fay:Resurrecting", "fay:Resurrected"]),
    );
    expect(maxVMs).toBeLessThanOrEqual(4);
  });

  it("brings back a VM killed out of band", async () => {
    const ada = await assertRunning("ada");
    const pid = qemu(host(ada.host)).pid(ada.uid) as number;
    process.kill(pid, "SIGKILL");
    await waitFor(
      "ada recreated",
      async () => {
        const vms = vmsOf("ada").filter((v) => v.state === "CREATED" && v.uid !== ada.uid);
        return vms.length === 1 && (await statusOf("ada"))["currentState"] === "active";
      },
      120_000,
    );
    const again = await assertRunning("ada");
    expect(again.host).toBe(ada.host);
    expect(again.serial).toMatch(new RegExp(`FAR-AGENT-VOLUME previous=[^\\n]*${ada.uid},`));
  });

  it("makes a stopped host's agents unreachable mid-rollout, without a budget breach, moving nothing", async () => {
    // A kernel cmdline change recreates every running agent: at most one microVM down per host.
    for (const a of agents) set(a.name, { cmdline: "2" });
    const before = { ada: vmsOf("ada")[0]?.uid, fay: vmsOf("fay")[0]?.uid };
    await push("cmdline far.rev=2");
    let maxDownA = 0;
    // Stop host-b as soon as the rollout started on host-a.
    await waitFor(
      "rollout started",
      async () => {
        const a = host("host-a").flintlockd.snapshot();
        maxDownA = Math.max(maxDownA, 2 - a.filter((v) => v.state === "CREATED").length);
        return a.some((v) => v.state !== "CREATED") || (vmsOf("ada")[0]?.uid ?? before.ada) !== before.ada;
      },
      120_000,
      50,
    );
    await host("host-b").stop();
    await waitFor(
      "cyd unreachable",
      async () => (await statusOf("cyd"))["currentState"] === "unknown",
      60_000,
      100,
      async () => JSON.stringify(await statusOf("cyd")),
    );
    await waitFor(
      "host-a rolled",
      async () => {
        const a = host("host-a").flintlockd.snapshot();
        maxDownA = Math.max(maxDownA, 2 - a.filter((v) => v.state === "CREATED").length);
        return (
          (await statusOf("ada"))["currentState"] === "active" &&
          (await statusOf("fay"))["currentState"] === "active" &&
          vmsOf("ada")[0]?.uid !== before.ada &&
          vmsOf("fay")[0]?.uid !== before.fay &&
          a.every((v) => v.state === "CREATED")
        );
      },
      150_000,
      50,
    );
    expect(maxDownA).toBeLessThanOrEqual(1);
    expect(await statusOf("cyd")).toMatchObject({ currentState: "unknown", reason: "HostUnreachable", host: "host-b" });
    // Nothing was moved to host-a.
    expect(
      host("host-a")
        .flintlockd.snapshot()
        .map((v) => v.name)
        .sort(),
    ).toEqual(["ada", "fay"]);
  });

  it("resumes after the engine is SIGKILLed mid-transition, without a second VM", async () => {
    // host-b is gone: its agents stay unknown. On host-a, fay goes to sleep and dee is unblocked.
    set("fay", { state: "sleep" });
    set("dee", { state: "active" });
    await push("fay sleeps, dee unblocked");
    await waitFor(
      "a transition in flight",
      async () =>
        vmsOf("fay").some((v) => v.state === "DELETING") || vmsOf("dee").some((v) => v.state === "PENDING")
          ? true
          : undefined,
      60_000,
      20,
    );
    await engine!.kill("SIGKILL");
    engine = await startEngineProcess(engineConfig);
    await waitFor(
      "resumed",
      async () =>
        (await statusOf("fay"))["currentState"] === "sleep" && (await statusOf("dee"))["currentState"] === "active",
      120_000,
    );
    assertNoVM("fay");
    await assertRunning("dee");
    const names = host("host-a")
      .flintlockd.snapshot()
      .map((v) => v.name)
      .sort();
    expect(names).toEqual(["ada", "dee"]);
  });

  it("bosun plan --config shows a kernel change as recreates per host, writing nothing; metrics count agents by state", async () => {
    const uids = host("host-a")
      .flintlockd.snapshot()
      .map((v) => v.uid)
      .sort();
    const config = join(labDir, "engine.yaml");
    writeFileSync(config, stringify(engineConfig));
    await tree.write({
      "agents/ada.yaml": agentYaml(ns.name, { ...agents.find((a) => a.name === "ada")!, cmdline: "3" }),
    });
    const { stdout } = await run(
      process.execPath,
      [
        join(root, "bin/bosun.mjs"),
        "plan",
        tree.dir,
        "--kubeconfig",
        kubeConnection().kubeconfigPath,
        "--config",
        config,
      ],
      { env: { ...process.env }, cwd: root },
    ).catch((e: { stdout: string; code: number }) => (e.code === 2 ? e : Promise.reject(e)));
    expect(stdout).toMatch(/update FARAgent [^ ]+\/ada \[recreate\]/);
    expect(stdout).toMatch(/host-a: 1 of 2 microVMs to update \(recreate\)/);
    // host-b does not answer: its agents are counted, not planned.
    expect(stdout).toMatch(/host-b: 0 of 1 microVM to update \(none\)/);
    expect(
      host("host-a")
        .flintlockd.snapshot()
        .map((v) => v.uid)
        .sort(),
    ).toEqual(uids);

    const url = [...(engine?.output() ?? "").matchAll(/metrics at (http:\/\/127\.0\.0\.1:\d+)\/metrics/g)].at(-1)?.[1];
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^bosun_faragent_state\{state="active"\} 2$/m);
    // The restarted engine saw at least the in-flight transition (fay to sleep or dee to active) complete.
    expect(metrics).toMatch(/^bosun_faragent_transition_duration_seconds_count\{to="(sleep|active)"\} [1-9]\d*$/m);
  });
});
