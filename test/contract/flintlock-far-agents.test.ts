/**
 * FAR agents through the engine's own pass (FleetReconciler → flintlock backend → FARAgent
 * controller) against two lab flintlockd hosts over real gRPC (Unix sockets), with the simulated
 * provider and the agents' records in memory: every lifecycle state, kept volumes on resurrect,
 * out-of-band kills, capacity, unknown hosts, an unreachable host, recreates within the per-host
 * budget, an engine restart mid-transition, and prune.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SERVICE } from "../../clients/flintlock/index.ts";
import { dependenciesOf } from "../../engine/desired/dependencies.ts";
import { loadFleet, type DesiredState } from "../../engine/desired/load-fleet.ts";
import { builtinKinds } from "../../engine/kinds/builtin.ts";
import { createLogger } from "../../engine/log/logger.ts";
import { computePlan } from "../../engine/plan/compute-plan.ts";
import { renderPlanText } from "../../engine/plan/render-plan.ts";
import { FleetReconciler, type PassReport } from "../../engine/reconcile/fleet-reconciler.ts";
import type { ObjectStatus } from "../../engine/status/types.ts";
import { startLabHost, type LabHost, type SimulatedProvider } from "../../lab/flintlock/index.ts";
import { flintlockBackend, memoryRecords, type FlintlockBackend } from "../../sinks/flintlock/index.ts";

const logger = createLogger({ level: "silent" });
const enc = new TextEncoder();
const NS = "agents";

interface AgentDoc {
  name: string;
  state: string;
  host?: string;
  pool?: string;
  cpu?: string;
  memory?: string;
  kernel?: string;
  reschedule?: boolean;
}

function agentYaml(a: AgentDoc): string {
  const place = a.host
    ? `    host: ${a.host}`
    : `    hostSelector:\n      matchLabels:\n        pool: ${a.pool ?? "blade"}`;
  return `apiVersion: agents.tinkerbell.io/v1alpha1
kind: FARAgent
metadata:
  name: ${a.name}
  namespace: ${NS}
${a.reschedule ? "  annotations:\n    far.bosun.dev/on-host-unreachable: reschedule\n" : ""}spec:
  taskId: task-${a.name}
  resourceLimits:
    cpu: "${a.cpu ?? "1"}"
    memory: ${a.memory ?? "512Mi"}
  lifecycle:
    state: ${a.state}
  microvm:
${place}
    kernel:
      image: ${a.kernel ?? "ghcr.io/tinkerbell/far-kernel:6.1.90"}
    rootVolume:
      image: ghcr.io/tinkerbell/far-agent-rootfs:1.4.0
`;
}

function fleet(agents: readonly AgentDoc[], selfHeal = true): DesiredState {
  const files = agents.map((a) => ({ path: `agents/${a.name}.yaml`, bytes: enc.encode(agentYaml(a)) }));
  files.push({
    path: "bosun.yaml",
    bytes: enc.encode(
      `apiVersion: bosun.dev/v1alpha1\nkind: BosunConfig\ndefaults:\n  selfHeal: ${selfHeal}\n  maxDeletionShare: "100%"\n  rollout:\n    maxUnavailable: 2\n`,
    ),
  });
  const loaded = loadFleet(files, { kinds: builtinKinds });
  if (!loaded.ok) throw new Error(loaded.diagnostics.map((d) => `${d.file}:${d.line} ${d.message}`).join("\n"));
  return loaded;
}

describe("FAR agents on two lab Flintlock hosts (simulated provider)", () => {
  let dir: string;
  let hosts: LabHost[];
  let records: ReturnType<typeof memoryRecords>;
  let backend: FlintlockBackend;
  let reconciler: FleetReconciler;
  let reports: PassReport[];
  let commit = 0;

  const makeReconciler = (): FleetReconciler =>
    new FleetReconciler({
      backends: [backend],
      kinds: builtinKinds,
      dependenciesOf,
      logger,
      onPass: (r) => reports.push(r),
    });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "bosun-far-"));
    hosts = [
      await startLabHost({
        name: "blade-a",
        provider: "simulated",
        startDelayMs: 5,
        capacity: { vcpu: 4, memoryMiB: 4096 },
        labels: { pool: "blade" },
        stateDir: join(dir, "a"),
        tcp: "none",
      }),
      await startLabHost({
        name: "blade-b",
        provider: "simulated",
        startDelayMs: 5,
        capacity: { vcpu: 4, memoryMiB: 4096 },
        labels: { pool: "blade" },
        stateDir: join(dir, "b"),
        tcp: "none",
      }),
    ];
    records = memoryRecords({ record: true });
    backend = flintlockBackend({
      config: { hosts: hosts.map((h) => h.config()), timeoutMs: 2000, deleteTimeoutMs: 5000 },
      records,
      logger,
    });
    reports = [];
    reconciler = makeReconciler();
  });

  afterEach(async () => {
    backend.close();
    for (const h of hosts) await h.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const host = (name: string): LabHost => hosts.find((h) => h.name === name) as LabHost;
  /** Live microVMs, not being deleted, as `host/name` → state. */
  const vms = (): Record<string, string> =>
    Object.fromEntries(
      hosts.flatMap((h) =>
        h.flintlockd
          .snapshot()
          .filter((v) => v.state !== "DELETING")
          .map((v) => [`${h.name}/${v.name}`, v.state]),
      ),
    );
  const where = (name: string): string[] =>
    Object.keys(vms())
      .filter((k) => k.endsWith(`/${name}`))
      .map((k) => k.split("/")[0] as string);
  const status = (statuses: readonly ObjectStatus[], name: string): ObjectStatus =>
    statuses.find((s) => s.name === name) as ObjectStatus;
  const agentStatus = (name: string) => records.statuses.get(`agents.tinkerbell.io/FARAgent/${NS}/${name}`);

  /** Passes until nothing progresses (or 200 passes): what the loop's requeue does. */
  async function converge(desired: DesiredState, r = reconciler): Promise<readonly ObjectStatus[]> {
    let statuses: readonly ObjectStatus[] = [];
    for (let i = 0; i < 200; i++) {
      statuses = await r.apply(desired, { commit: `c${++commit}`, signal: AbortSignal.timeout(30_000) });
      if (!reports.at(-1)?.progressing) return statuses;
      await new Promise((res) => setTimeout(res, 15));
    }
    throw new Error(`did not converge: ${JSON.stringify(reports.at(-1)?.rollouts.map((x) => x.summary))}`);
  }

  const six: AgentDoc[] = [
    { name: "alpha", state: "active" },
    { name: "bravo", state: "active", host: "blade-b" },
    { name: "charlie", state: "sleep" },
    { name: "delta", state: "blocked" },
    { name: "echo", state: "force-sleep" },
    { name: "foxtrot", state: "resurrect" },
  ];

  it("drives six agents through every lifecycle state by commits", async () => {
    let statuses = await converge(fleet(six));
    expect(
      Object.keys(vms())
        .map((k) => k.split("/")[1])
        .sort(),
    ).toEqual(["alpha", "bravo", "foxtrot"]);
    expect(where("bravo")).toEqual(["blade-b"]);
    expect(Object.values(vms())).toEqual(["CREATED", "CREATED", "CREATED"]);
    expect(agentStatus("alpha")).toMatchObject({ currentState: "active", reason: "Running" });
    expect(agentStatus("foxtrot")).toMatchObject({ currentState: "active" });
    expect(agentStatus("charlie")).toMatchObject({ currentState: "sleep" });
    expect(agentStatus("delta")).toMatchObject({ currentState: "blocked" });
    expect(agentStatus("echo")).toMatchObject({ currentState: "force-sleep" });
    expect(status(statuses, "alpha")).toMatchObject({ phase: "Ready" });
    expect(status(statuses, "alpha").conditions?.[0]?.message).toMatch(
      /^active on blade-[ab] \(microVM [0-9A-Z]{26}\)/,
    );
    expect(agentStatus("alpha")?.microvmUID).toMatch(/^[0-9A-Z]{26}$/);
    expect(agentStatus("alpha")?.lastTransitionTime).toMatch(/^\d{4}-\d\d-\d\dT/);
    // Spread: the three running agents use both hosts (bravo is pinned to blade-b).
    expect(new Set([...where("alpha"), ...where("bravo"), ...where("foxtrot")]).size).toBe(2);

    // active → sleep: graceful delete, volume host kept; → resurrect: back on that host.
    const alphaHost = where("alpha")[0] as string;
    const step2 = six.map((a) =>
      a.name === "alpha"
        ? { ...a, state: "sleep" }
        : a.name === "bravo"
          ? { ...a, state: "force-sleep" }
          : a.name === "delta"
            ? { ...a, state: "active" }
            : a,
    );
    statuses = await converge(fleet(step2));
    expect(where("alpha")).toEqual([]);
    expect(where("bravo")).toEqual([]);
    expect(where("delta")).toHaveLength(1);
    const deletes = hosts.flatMap((h) => h.flintlockd.deletes);
    expect(deletes.find((d) => d.name === `${NS}/alpha`)?.graceMs).toBe(10_000);
    expect(deletes.find((d) => d.name === `${NS}/bravo`)?.graceMs).toBe(0);
    expect(agentStatus("alpha")).toMatchObject({ currentState: "sleep", host: alphaHost });
    expect(agentStatus("bravo")).toMatchObject({ currentState: "force-sleep", host: "blade-b" });
    expect(records.events.some((e) => e.startsWith(`${NS}/alpha Stopping: active → stopping`))).toBe(true);
    expect(records.events.some((e) => e.startsWith(`${NS}/alpha Sleeping: stopping → sleep`))).toBe(true);

    const step3 = step2.map((a) =>
      a.name === "alpha" ? { ...a, state: "resurrect" } : a.name === "delta" ? { ...a, state: "blocked" } : a,
    );
    statuses = await converge(fleet(step3));
    expect(where("alpha")).toEqual([alphaHost]);
    expect(where("delta")).toEqual([]);
    expect(agentStatus("alpha")).toMatchObject({ currentState: "active", reason: "Resurrected", host: alphaHost });
    expect(records.events.some((e) => e.startsWith(`${NS}/alpha Resurrecting: sleep → starting`))).toBe(true);
    expect(status(statuses, "delta")).toMatchObject({ phase: "Ready" });
    expect(agentStatus("delta")).toMatchObject({ currentState: "blocked" });
  });

  it("recreates a microVM killed out of band on its host, and only reports it with self-heal off", async () => {
    const agents: AgentDoc[] = [{ name: "alpha", state: "active" }];
    await converge(fleet(agents));
    const [h] = where("alpha");
    const before = agentStatus("alpha")?.microvmUID as string;
    (host(h as string).provider as SimulatedProvider).kill(before);
    expect(
      host(h as string)
        .flintlockd.snapshot()
        .find((v) => v.uid === before)?.state,
    ).toBe("FAILED");
    await converge(fleet(agents));
    expect(where("alpha")).toEqual([h]);
    expect(agentStatus("alpha")?.microvmUID).not.toBe(before);
    expect(agentStatus("alpha")).toMatchObject({ currentState: "active" });
    expect(
      records.events.some((e) => /alpha Recreating: active → starting: drift corrected: microVM FAILED/.test(e)),
    ).toBe(true);

    // Deleted out of band with self-heal off: reported, not recreated.
    const uid = agentStatus("alpha")?.microvmUID as string;
    await backend.hosts.client(h as string)!.delete(uid, AbortSignal.timeout(5000));
    for (let i = 0; i < 100 && host(h as string).flintlockd.snapshot().length > 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    const statuses = await converge(fleet(agents, false));
    expect(where("alpha")).toEqual([]);
    expect(status(statuses, "alpha")).toMatchObject({ phase: "Failed" });
    expect(agentStatus("alpha")).toMatchObject({ currentState: "drifted", reason: "MicroVMMissing" });
  });

  it("never overcommits a host: an agent that fits nowhere waits with a clear status; an unknown host is named", async () => {
    const agents: AgentDoc[] = [
      { name: "big-1", state: "active", cpu: "3", memory: "3Gi" },
      { name: "big-2", state: "active", cpu: "3", memory: "3Gi" },
      { name: "big-3", state: "active", cpu: "3", memory: "3Gi" },
      { name: "lost", state: "active", host: "blade-z" },
      { name: "small", state: "active", cpu: "1", memory: "512Mi" },
    ];
    const statuses = await converge(fleet(agents));
    const placed = ["big-1", "big-2", "big-3"].filter((n) => where(n).length === 1);
    expect(placed).toHaveLength(2);
    const waiting = ["big-1", "big-2", "big-3"].find((n) => !placed.includes(n)) as string;
    expect(agentStatus(waiting)).toMatchObject({ currentState: "pending", reason: "InsufficientCapacity" });
    expect(agentStatus(waiting)?.message).toMatch(
      /3 vCPU\/3072 MiB does not fit: blade-a [01] vCPU\/(512|1024) MiB free, blade-b [01] vCPU/,
    );
    expect(agentStatus("lost")).toMatchObject({ currentState: "pending", reason: "UnknownHost" });
    expect(status(statuses, "lost").conditions?.[0]?.message).toMatch(
      /host blade-z is not a configured Flintlock host/,
    );
    expect(where("small")).toHaveLength(1);
    expect(records.events.some((e) => e.startsWith(`${NS}/lost UnknownHost:`))).toBe(true);
    for (const h of hosts) {
      const used = h.flintlockd.used();
      expect(used.vcpu).toBeLessThanOrEqual(4);
      expect(used.memoryMiB).toBeLessThanOrEqual(4096);
    }
  });

  it("recreates for a new kernel within the rollout budget, at most one microVM down per host", async () => {
    const agents: AgentDoc[] = ["a1", "a2", "b1", "b2"].map((n) => ({
      name: n,
      state: "active",
      host: n.startsWith("a") ? "blade-a" : "blade-b",
    }));
    await converge(fleet(agents));
    const before = new Map(agents.map((a) => [a.name, agentStatus(a.name)?.microvmUID]));
    const bumped = agents.map((a) => ({ ...a, kernel: "ghcr.io/tinkerbell/far-kernel:6.1.99" }));
    let recreatePasses = 0;
    const desired = fleet(bumped);
    let maxDownPerHost = 0;
    for (let i = 0; i < 200; i++) {
      await reconciler.apply(desired, { commit: `c${++commit}`, signal: AbortSignal.timeout(30_000) });
      const recreated = (reports.at(-1)?.changes ?? []).filter(
        (c) => c.ref.kind === "MicroVM" && c.action === "configured",
      );
      if (recreated.length > 0) recreatePasses++;
      // Never two recreates on one host in one pass.
      const perHost = new Map<string, number>();
      for (const c of recreated) perHost.set(c.ref.name[0] as string, (perHost.get(c.ref.name[0] as string) ?? 0) + 1);
      for (const n of perHost.values()) expect(n).toBe(1);
      for (const h of hosts) {
        const snap = h.flintlockd.snapshot();
        const up = snap.filter((v) => v.state === "CREATED").length;
        maxDownPerHost = Math.max(maxDownPerHost, 2 - up);
      }
      if (!reports.at(-1)?.progressing) break;
      await new Promise((r) => setTimeout(r, 15));
    }
    expect(maxDownPerHost).toBeLessThanOrEqual(1);
    for (const n of ["a1", "a2", "b1", "b2"]) {
      expect(agentStatus(n)).toMatchObject({ currentState: "active" });
      expect(agentStatus(n)?.microvmUID).not.toBe(before.get(n));
    }
    // One recreate per host per pass: the rollout took more than one pass.
    expect(recreatePasses).toBeGreaterThanOrEqual(2);
    expect(hosts.flatMap((h) => h.flintlockd.snapshot()).length).toBe(4);
  });

  it("shows a recreate per host in bosun plan, writing nothing", async () => {
    const agents: AgentDoc[] = ["a1", "a2", "b1"].map((n) => ({
      name: n,
      state: "active",
      host: n.startsWith("a") ? "blade-a" : "blade-b",
    }));
    await converge(fleet(agents));
    const uids = hosts.flatMap((h) => h.flintlockd.snapshot().map((v) => v.uid)).sort();
    const bumped = agents.map((a) => (a.host === "blade-a" ? { ...a, kernel: "ghcr.io/tinkerbell/far-kernel:7" } : a));
    const plan = await computePlan(
      fleet(bumped),
      { commit: "p", now: new Date(), backends: [backend], kinds: builtinKinds, dependenciesOf, logger },
      AbortSignal.timeout(30_000),
    );
    const rollout = plan.rollouts.find((r) => r.kind === "FARAgent");
    expect(rollout?.maxUnavailable).toBe(2);
    expect(rollout?.waves.map((w) => [w.name, w.targets, w.toUpdate, w.disruption])).toEqual([
      ["blade-a", 2, 2, "recreate"],
      ["blade-b", 1, 0, "none"],
    ]);
    const text = renderPlanText(plan);
    if (process.env["SHOW_PLAN"]) console.log(text);
    expect(text).toMatch(/blade-a/);
    expect(hosts.flatMap((h) => h.flintlockd.snapshot().map((v) => v.uid)).sort()).toEqual(uids);
  });

  it("marks the agents of a host that stops answering unreachable, moves nothing, and leaves the others alone", async () => {
    const agents: AgentDoc[] = [
      { name: "on-a", state: "active", host: "blade-a" },
      { name: "on-b", state: "active", host: "blade-b" },
      { name: "roaming", state: "active", pool: "blade" },
    ];
    await converge(fleet(agents));
    const roamingHost = where("roaming")[0];
    await host("blade-b").stop();
    const statuses = await converge(fleet(agents));
    expect(status(statuses, "on-b")).toMatchObject({ phase: "Unreachable" });
    expect(status(statuses, "on-b").conditions?.[0]).toMatchObject({ status: "Unknown", reason: "HostUnreachable" });
    expect(agentStatus("on-b")).toMatchObject({ currentState: "unknown", host: "blade-b" });
    expect(status(statuses, "on-a")).toMatchObject({ phase: "Ready" });
    if (roamingHost === "blade-b") expect(status(statuses, "roaming")).toMatchObject({ phase: "Unreachable" });
    // Nothing moved to blade-a.
    expect(
      host("blade-a")
        .flintlockd.snapshot()
        .map((v) => v.name)
        .sort(),
    ).toEqual(roamingHost === "blade-a" ? ["on-a", "roaming"] : ["on-a"]);
  });

  it("moves an agent off a host that stops answering only when its fleet file says so", async () => {
    const agents: AgentDoc[] = [
      { name: "mover", state: "active", reschedule: true },
      { name: "stayer", state: "active", host: "blade-b" },
    ];
    await converge(fleet(agents));
    const from = where("mover")[0] as string;
    const other = from === "blade-a" ? "blade-b" : "blade-a";
    await host(from).stop();
    const statuses = await converge(fleet(agents));
    // (The stopped host still lists its old microVM: it is gone from the network, not deleted.)
    expect(where("mover").filter((h) => h !== from)).toEqual([other]);
    expect(agentStatus("mover")).toMatchObject({ currentState: "active", host: other });
    expect(
      records.events.some((e) => e.startsWith(`${NS}/mover Rescheduled:`) && e.includes(`host ${from} is unreachable`)),
    ).toBe(true);
    expect(status(statuses, "mover")).toMatchObject({ phase: "Ready" });
    if (from === "blade-b") expect(status(statuses, "stayer")).toMatchObject({ phase: "Unreachable" });
  });

  it("resumes after an engine restart mid-transition without a second microVM", async () => {
    const agents: AgentDoc[] = [
      { name: "alpha", state: "active" },
      { name: "bravo", state: "active" },
    ];
    await converge(fleet(agents));
    const sleeping = agents.map((a) => (a.name === "alpha" ? { ...a, state: "sleep" } : a));
    await reconciler.apply(fleet(sleeping), { commit: "mid", signal: AbortSignal.timeout(30_000) });
    const alphaHost = agentStatus("alpha")?.host;
    // A new engine (nothing remembered): it reads the agents' status and the hosts' microVMs.
    const restarted = makeReconciler();
    await converge(fleet(sleeping), restarted);
    expect(agentStatus("alpha")).toMatchObject({ currentState: "sleep", host: alphaHost });
    const resurrect = agents.map((a) => (a.name === "alpha" ? { ...a, state: "resurrect" } : a));
    await restarted.apply(fleet(resurrect), { commit: "mid2", signal: AbortSignal.timeout(30_000) });
    await converge(fleet(resurrect), makeReconciler());
    const all = hosts.flatMap((h) => h.flintlockd.snapshot().map((v) => `${h.name}/${v.name}`));
    expect(all.sort()).toEqual([`${alphaHost}/alpha`, `${where("bravo")[0]}/bravo`].sort());
  });

  it("reads a host that answers garbage or hangs as unreachable: a clear status and an Event, nothing else disturbed", async () => {
    // Two more "hosts": a gRPC server that answers every call with bytes that are no ListMicroVMsResponse,
    // and a TCP port that accepts and never answers.
    const garbage = new grpc.Server();
    const id = (b: Buffer): Buffer => b;
    const junk = (_call: unknown, cb: (e: null, b: Buffer) => void): void => cb(null, Buffer.from([0x0a, 0x7f, 0x01]));
    garbage.addService(
      Object.fromEntries(
        ["ListMicroVMs", "CreateMicroVM", "GetMicroVM", "DeleteMicroVM"].map((m) => [
          m,
          {
            path: `${SERVICE}/${m}`,
            requestStream: false,
            responseStream: false,
            requestSerialize: id,
            requestDeserialize: id,
            responseSerialize: id,
            responseDeserialize: id,
          },
        ]),
      ),
      { ListMicroVMs: junk, CreateMicroVM: junk, GetMicroVM: junk, DeleteMicroVM: junk },
    );
    const gport = await new Promise<number>((res, rej) =>
      garbage.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))),
    );
    const hanging: Server = createServer(() => undefined);
    await new Promise<void>((r) => hanging.listen(0, "127.0.0.1", r));
    const hport = (hanging.address() as { port: number }).port;
    const extra = [
      {
        name: "garbage",
        endpoint: { address: `127.0.0.1:${gport}` },
        labels: {},
        capacity: { vcpu: 8, memoryMiB: 8192 },
      },
      {
        name: "hanging",
        endpoint: { address: `127.0.0.1:${hport}` },
        labels: {},
        capacity: { vcpu: 8, memoryMiB: 8192 },
      },
    ];
    backend.close();
    backend = flintlockBackend({
      config: { hosts: [...hosts.map((h) => h.config()), ...extra], timeoutMs: 500, deleteTimeoutMs: 5000 },
      records,
      logger,
    });
    reconciler = makeReconciler();
    try {
      const agents: AgentDoc[] = [
        { name: "fine", state: "active", host: "blade-a" },
        { name: "on-garbage", state: "active", host: "garbage" },
        { name: "on-hanging", state: "active", host: "hanging" },
      ];
      const statuses = await converge(fleet(agents));
      expect(where("fine")).toEqual(["blade-a"]);
      expect(status(statuses, "fine")).toMatchObject({ phase: "Ready" });
      for (const name of ["on-garbage", "on-hanging"]) {
        expect(status(statuses, name).phase).not.toBe("Ready");
        expect(agentStatus(name)).toMatchObject({ currentState: "pending", reason: "HostUnreachable" });
        expect(agentStatus(name)?.message).toMatch(/no reachable host/);
        expect(records.events.some((e) => e.startsWith(`${NS}/${name} HostUnreachable:`))).toBe(true);
      }
      // Nothing was created anywhere for them.
      expect(hosts.flatMap((h) => h.flintlockd.snapshot().map((v) => v.name))).toEqual(["fine"]);
    } finally {
      garbage.forceShutdown();
      hanging.close();
    }
  });

  it("prunes the microVM of an agent removed from Git", async () => {
    await converge(fleet(six.slice(0, 2)));
    expect(where("alpha")).toHaveLength(1);
    await converge(fleet(six.slice(1, 2)));
    expect(where("alpha")).toEqual([]);
    expect(where("bravo")).toEqual(["blade-b"]);
    expect(hosts.flatMap((h) => h.flintlockd.snapshot().map((v) => v.name))).toEqual(["bravo"]);
  });
});
