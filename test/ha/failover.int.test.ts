/**
 * Issue 16 acceptance on the lab kube-apiserver: three engine replicas (the real CLI, in-cluster
 * credentials of a ServiceAccount bound to deploy/'s RBAC, each behind its own loopback audit
 * proxy) roll out the example fleet's switch-agent. SIGKILL of the leader mid-rollout: another
 * replica takes the Lease, the rollout completes, a watch sampled throughout never sees more
 * than maxUnavailable devices down, and the audit of every write shows no write by a replica
 * that was not the shard's holder at that moment. Then a network partition of the new leader
 * (its proxy cut): it stops writing (bosun_leader 0) before a third replica takes over, and
 * after the partition heals it writes nothing in the new term.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import type { KubeObject } from "../../clients/kubernetes/types.ts";
import { approvalDocument } from "../../engine/rollout/approvals.ts";
import { installDeviceCrds } from "../../lab/devices/crds.ts";
import { startSimulator, type Simulator } from "../../lab/devices/simulator.ts";
import { createBareRepo, git, startGitServer, WorkTree, type GitServer } from "../../lab/git-server/index.ts";
import { createTestNamespace, kubeClient, kubeConnection, type TestNamespace } from "../support/kube.ts";
import { UnavailabilitySampler, waitFor } from "../e2e/support.ts";
import { AuditLog, AuditProxy, splitBrainWrites, termsOf } from "./audit-proxy.ts";
import { inClusterCredentials, leaderGauge, readyz, startReplica, type Replica } from "./support.ts";

const root = join(import.meta.dirname, "../..");
const DEVICES = 12;
/** The example's maxUnavailable: 10% of 12 devices, rounded up. */
const BUDGET = 2;
const PREFIX = "bosun";
const TIMINGS = { leaseDurationMs: 4000, renewDeadlineMs: 2500, retryPeriodMs: 500 };

describe("three replicas with leader election", () => {
  let client: KubeClient;
  let ns: TestNamespace;
  let server: GitServer;
  let gitRoot: string;
  let tree: WorkTree;
  let sim: Simulator;
  let sampler: UnavailabilitySampler;
  let credentials: Awaited<ReturnType<typeof inClusterCredentials>>;
  const log = new AuditLog();
  const proxies = new Map<string, AuditProxy>();
  const replicas = new Map<string, Replica>();
  const mirrors: string[] = [];

  /** The example fleet's switch-agent, in the test namespace, at `version`. */
  const exampleDeployment = (version: string): string =>
    readFileSync(join(root, "fleet-repo-example/devices/switch-agent.yaml"), "utf8")
      .replace(/namespace: infra-system/g, `namespace: ${ns.name}`)
      .replace(/v1\.2\.3/g, version)
      .replace(/checksumSHA256: \S+/, `checksumSHA256: ${Buffer.from(version.padEnd(32, "-")).toString("hex")}`);
  const deployment = async (): Promise<KubeObject | undefined> =>
    client.get({
      apiVersion: "azure.com/v1alpha1",
      kind: "DeviceProcessDeployment",
      namespace: ns.name,
      name: "switch-agent",
    });
  const statusOf = async (): Promise<Record<string, unknown>> =>
    ((await deployment())?.["status"] ?? {}) as Record<string, unknown>;
  const condition = async (type: string): Promise<{ reason?: string; message?: string }> =>
    (((await statusOf())["conditions"] ?? []) as { type: string; reason?: string }[]).find((c) => c.type === type) ??
    {};
  const holder = async (): Promise<string | undefined> => {
    const lease = await client.get({
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      namespace: ns.name,
      name: `${PREFIX}-shard-0`,
    });
    return (lease?.["spec"] as { holderIdentity?: string } | undefined)?.holderIdentity;
  };
  /** Replica name of a holder identity (`POD_NAME_<random>`). */
  const replicaOf = (identity: string): string | undefined => identity.split("_")[0];
  const leaderReplica = async (): Promise<Replica> => {
    const id = await waitFor("a leader", holder, 60_000);
    const r = replicas.get(replicaOf(id) ?? "");
    if (!r) throw new Error(`holder ${id} is no replica of this test`);
    return r;
  };
  const approveWhenWaiting = async (): Promise<void> => {
    await waitFor(
      "the fleet wave to wait for approval",
      async () => (await condition("Progressing")).reason === "WaitingForApproval" || undefined,
      120_000,
      300,
      async () => JSON.stringify(await statusOf()),
    );
    const revision = String((await statusOf())["revision"]);
    const doc = approvalDocument({
      namespace: ns.name,
      name: "switch-agent",
      wave: "fleet",
      revision,
      approvedBy: "ha-test",
      folder: "approvals/",
    });
    await tree.commitAndPush("main", { [doc.path]: doc.text }, `approve fleet ${revision}`);
  };
  const complete = (version: string) => async (): Promise<boolean> => {
    const s = await statusOf();
    const processes = (await client.list("azure.com/v1alpha1", "DeviceProcess", { namespace: ns.name })).items;
    return (
      (await condition("Progressing")).reason === "RolloutComplete" &&
      s["updatedNumberScheduled"] === DEVICES &&
      s["numberReady"] === DEVICES &&
      processes.length === DEVICES &&
      processes.every((p) => p.metadata.labels?.["bosun.dev/revision"] === s["revision"]) &&
      processes.every((p) => JSON.stringify(p["spec"]).includes(version))
    );
  };
  const startNamed = async (name: string): Promise<Replica> => {
    const mirror = await mkdtemp(join(tmpdir(), `bosun-ha-mirror-${name}-`));
    mirrors.push(mirror);
    const replica = await startReplica({
      name,
      apiPort: proxies.get(name)!.port,
      credentialsRoot: credentials.root,
      config: {
        git: {
          repo: { url: `${server.url}/fleet.git`, ref: "main", mirrorDir: mirror },
          poll: { intervalMs: 1000, jitter: 0.1 },
        },
        kubernetes: { qps: 100, burst: 200, stateNamespace: ns.name },
        engine: { requeueMs: 300 },
        listen: { host: "127.0.0.1", port: 0 },
        ha: { shards: 1, leaderElection: { leaseName: PREFIX, ...TIMINGS } },
      },
    });
    replicas.set(name, replica);
    return replica;
  };
  /** Writes by engine replicas, by shard: every write of this fleet belongs to shard 0. */
  const splitBrain = () => splitBrainWrites(log, PREFIX, replicaOf, () => 0);

  beforeAll(async () => {
    client = kubeClient({ qps: 200, burst: 400 });
    await installDeviceCrds(client);
    ns = await createTestNamespace(client, "ha");
    credentials = await inClusterCredentials(client, ns.name, kubeConnection().caFile);
    gitRoot = await mkdtemp(join(tmpdir(), "bosun-ha-git-"));
    server = await startGitServer({ root: gitRoot });
    await createBareRepo(gitRoot, "fleet");
    tree = await WorkTree.open(`${server.url}/fleet.git`);
    await tree.commitAndPush(
      "main",
      {
        "bosun.yaml": `apiVersion: bosun.dev/v1alpha1\nkind: BosunConfig\ndefaults:\n  namespace: ${ns.name}\nstatus:\n  minIntervalSeconds: 1\n`,
        "devices/switch-agent.yaml": exampleDeployment("v1.2.3"),
      },
      "fleet: the example's switch-agent v1.2.3",
    );
    sim = await startSimulator({
      client,
      namespace: ns.name,
      devices: { switches: DEVICES, racks: 3, spines: 0 },
      seed: 16,
      delayMs: [150, 450],
    });
    sampler = new UnavailabilitySampler(client, ns.name);
    for (const name of ["replica-a", "replica-b", "replica-c"]) {
      proxies.set(
        name,
        await AuditProxy.start({
          replica: name,
          upstream: kubeConnection().server,
          labDir: kubeConnection().workDir,
          log,
        }),
      );
      await startNamed(name);
    }
  }, 180_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state !== "fail") return;
    for (const r of replicas.values()) writeFileSync(join(tmpdir(), `bosun-ha-${ns.name}-${r.name}.log`), r.output());
  });

  afterAll(async () => {
    await Promise.all([...replicas.values()].map((r) => r.kill("SIGKILL")));
    await sampler?.stop();
    await Promise.all([...proxies.values()].map((p) => p.close()));
    await sim?.stop();
    await tree?.dispose();
    await server?.stop();
    await credentials?.cleanup();
    await ns?.cleanup();
    client?.close();
    for (const d of [gitRoot, ...mirrors]) if (d) await rm(d, { recursive: true, force: true });
  });

  it("one replica leads and rolls out the example fleet with in-cluster credentials; the others stand by", async () => {
    const leader = await leaderReplica();
    await approveWhenWaiting();
    await waitFor("the first rollout to complete", complete("v1.2.3"), 120_000, 300, async () =>
      JSON.stringify(await statusOf()),
    );
    const standbys = [...replicas.values()].filter((r) => r !== leader);
    expect(await leaderGauge(leader, 0)).toBe(1);
    for (const r of standbys) {
      await waitFor(`${r.name} to answer`, () => readyz(r));
      expect(await leaderGauge(r, 0)).toBe(0);
      const ready = await readyz(r);
      expect(ready?.status).toBe(200);
      expect(ready?.text).toMatch(/^ready: standby \(replica-[abc]_/);
    }
    expect((await readyz(leader))?.text).toMatch(/^ready: leader of shard 0/);
    // Only the leader wrote engine objects (the standbys wrote their own membership Leases only).
    const writers = new Set(log.entries.filter((e) => !/\/leases(\/|$)/.test(e.path)).map((e) => e.replica));
    expect([...writers]).toEqual([leader.name]);
    expect(splitBrain()).toEqual([]);
  });

  it("SIGKILL of the leader mid-rollout: another replica takes over, the rollout completes within the budget", async () => {
    await sampler.start();
    const before = await leaderReplica();
    const revisionBefore = (await statusOf())["revision"];
    await tree.commitAndPush(
      "main",
      { "devices/switch-agent.yaml": exampleDeployment("v1.2.4") },
      "switch-agent v1.2.4",
    );
    // Mid-rollout: the new revision is on some devices, not all.
    await waitFor(
      "the update to start",
      async () => {
        const s = await statusOf();
        const updated = Number(s["updatedNumberScheduled"] ?? 0);
        return s["revision"] !== revisionBefore && updated >= 1 && updated < DEVICES;
      },
      120_000,
      100,
    );
    const killedAt = log.next();
    await before.kill("SIGKILL");
    const after = await waitFor(
      "another replica to hold the lease",
      async () => {
        const id = await holder();
        return id && replicaOf(id) !== before.name ? replicas.get(replicaOf(id) ?? "") : undefined;
      },
      60_000,
      100,
    );
    await approveWhenWaiting();
    await waitFor("the rollout to complete under the new leader", complete("v1.2.4"), 180_000, 300, async () =>
      JSON.stringify(await statusOf()),
    );
    await sampler.stop();
    expect(sampler.samples).toBeGreaterThan(0);
    expect(sampler.maxUnavailable).toBeLessThanOrEqual(BUDGET);
    // The new leader wrote after the kill, in its own term; nobody wrote outside theirs.
    const term = termsOf(log, PREFIX).find((t) => t.from > killedAt);
    expect(term && replicaOf(term.holder)).toBe(after.name);
    expect(log.entries.some((e) => e.replica === after.name && e.seq > killedAt && !/\/leases/.test(e.path))).toBe(
      true,
    );
    expect(splitBrain()).toEqual([]);
    // The status branch has the deployment's file at the new revision.
    const text = await git([
      "--git-dir",
      join(gitRoot, "fleet.git"),
      "show",
      `bosun/status:objects/DeviceProcessDeployment/${ns.name}/switch-agent.yaml`,
    ]);
    expect(JSON.stringify(parse(text))).toContain(String((await statusOf())["revision"]));
  });

  it("a leader cut off from the apiserver stops writing before its lease can be taken; no split brain after it heals", async () => {
    const cut = await leaderReplica();
    const proxy = proxies.get(cut.name)!;
    proxy.cut();
    const cutAt = log.next();
    // The fence closes on its own clock: bosun_leader drops to 0 while it still cannot reach anyone.
    await waitFor(`${cut.name} to stop leading`, async () => (await leaderGauge(cut, 0)) === 0, 30_000, 50);
    const stoppedAt = log.next();
    const next = await waitFor(
      "another replica to take the lease",
      async () => {
        const id = await holder();
        return id && replicaOf(id) !== cut.name ? id : undefined;
      },
      60_000,
      100,
    );
    const takeover = termsOf(log, PREFIX).find((t) => t.from > cutAt);
    expect(takeover?.holder).toBe(next);
    // Fenced before the takeover was answered (ordering in the audit, not a duration).
    expect(stoppedAt).toBeLessThan(takeover!.from);
    expect((await readyz(cut))?.status).toBe(503);
    expect(cut.output()).toMatch(/stopped writing for shard 0/);
    // The fleet keeps being reconciled by the new leader: a change made now is rolled out.
    await tree.commitAndPush(
      "main",
      { "devices/switch-agent.yaml": exampleDeployment("v1.2.5") },
      "switch-agent v1.2.5",
    );
    await approveWhenWaiting();
    proxy.heal();
    await waitFor("the rollout to complete under the third leader", complete("v1.2.5"), 180_000, 300, async () =>
      JSON.stringify(await statusOf()),
    );
    // The healed replica rejoins as a standby and writes nothing of the new term.
    await waitFor(
      `${cut.name} to be a ready standby`,
      async () => (await readyz(cut))?.text.startsWith("ready: standby") || undefined,
      30_000,
      200,
    );
    expect(splitBrain()).toEqual([]);
  });

  it("SIGTERM (a rolling upgrade) hands the lease over: the leader clears the holder before it exits", async () => {
    const leaving = await leaderReplica();
    const mark = log.next();
    await leaving.kill("SIGTERM");
    expect(leaving.child.exitCode).toBe(0);
    const release = log.entries.find(
      (e) =>
        e.seq > mark &&
        e.replica === leaving.name &&
        e.method === "PUT" &&
        e.path.endsWith(`/leases/${PREFIX}-shard-0`) &&
        e.status === 200 &&
        !(e.body?.["spec"] as { holderIdentity?: string } | undefined)?.holderIdentity,
    );
    expect(release).toBeDefined();
    const next = await waitFor("a standby to take the handed-over lease", async () =>
      termsOf(log, PREFIX).find((t) => t.from > release!.answerSeq && t.holder !== ""),
    );
    expect(replicaOf(next.holder)).not.toBe(leaving.name);
    expect(splitBrain()).toEqual([]);
  });
});
