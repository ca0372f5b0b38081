/**
 * Issue 16 acceptance: two shards over 100 DeviceProcessDeployments, two replicas (the real CLI,
 * in-cluster credentials, audit proxies). Each replica leads one shard and writes only for its
 * shard's objects (audit of every write: the deployments, their DeviceProcesses, Events, the
 * inventory key); a deployment pinned by the annotation goes to the shard it names; killing one
 * replica moves its shard to the other; the status branch has every object's file, one STATUS.md
 * per shard, and every status commit either replica reported is in its history.
 */
import { writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import { shardOf, shardOfKey } from "../../engine/ha/index.ts";
import { installDeviceCrds } from "../../lab/devices/crds.ts";
import { startSimulator, type Simulator } from "../../lab/devices/simulator.ts";
import { createBareRepo, git, startGitServer, WorkTree, type GitServer } from "../../lab/git-server/index.ts";
import { createTestNamespace, kubeClient, kubeConnection, type TestNamespace } from "../support/kube.ts";
import { waitFor } from "../e2e/support.ts";
import { AuditLog, AuditProxy, splitBrainWrites, termsOf, type AuditEntry } from "./audit-proxy.ts";
import { inClusterCredentials, startReplica, type Replica } from "./support.ts";

const COUNT = 100;
/** Devices each deployment runs on (one keeps the test lean: 100 DeviceProcesses per version). */
const DEVICES = 1;
const SHARDS = 2;
const PREFIX = "bosun";
const TIMINGS = { leaseDurationMs: 4000, renewDeadlineMs: 2500, retryPeriodMs: 500 };

describe("two shards over 100 DeviceProcessDeployments", () => {
  let client: KubeClient;
  let ns: TestNamespace;
  let server: GitServer;
  let gitRoot: string;
  let tree: WorkTree;
  let sim: Simulator;
  let credentials: Awaited<ReturnType<typeof inClusterCredentials>>;
  const log = new AuditLog();
  const proxies = new Map<string, AuditProxy>();
  const replicas = new Map<string, Replica>();
  const mirrors: string[] = [];
  const names = Array.from({ length: COUNT }, (_, i) => `app-${String(i).padStart(3, "0")}`);
  /** A deployment whose hash shard is 0, pinned to shard 1 by the annotation. */
  let pinned = "";
  const shardOfName = new Map<string, number>();

  const checksum = (v: string): string => Buffer.from(v.padEnd(32, "-")).toString("hex");
  const deploymentYaml = (name: string, version: string): string => `apiVersion: azure.com/v1alpha1
kind: DeviceProcessDeployment
metadata:
  name: ${name}
  namespace: ${ns.name}${name === pinned ? `\n  annotations:\n    bosun.dev/shard: "1"` : ""}
spec:
  selector:
    matchLabels:
      type: switch
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 1
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      artifact:
        type: oci
        url: ghcr.io/apollo/${name}:${version}
        version: ${version}
        checksumSHA256: "${checksum(version)}"
      execution:
        backend: systemd
        command: ["/usr/bin/${name}"]
`;
  const fleet = (version: string): Record<string, string> =>
    Object.fromEntries(names.map((n) => [`apps/${n}.yaml`, deploymentYaml(n, version)]));
  const holders = async (): Promise<(string | undefined)[]> =>
    Promise.all(
      Array.from({ length: SHARDS }, async (_, s) => {
        const lease = await client.get({
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          namespace: ns.name,
          name: `${PREFIX}-shard-${s}`,
        });
        return (lease?.["spec"] as { holderIdentity?: string } | undefined)?.holderIdentity;
      }),
    );
  const replicaOf = (identity: string): string | undefined => identity.split("_")[0];
  /** Deployments whose rollout is complete at `version`. */
  const completed = async (version: string): Promise<number> => {
    const list = await client.list("azure.com/v1alpha1", "DeviceProcessDeployment", { namespace: ns.name });
    return list.items.filter((d) => {
      const status = (d["status"] ?? {}) as {
        conditions?: { type: string; reason?: string }[];
        updatedNumberScheduled?: number;
      };
      const done = status.conditions?.find((c) => c.type === "Progressing")?.reason === "RolloutComplete";
      return done && status.updatedNumberScheduled === DEVICES && JSON.stringify(d["spec"]).includes(version);
    }).length;
  };
  /** Which shard an audited write belongs to (undefined: not one object's write). */
  const shardOfWrite = (e: AuditEntry): number | undefined => {
    const m = /\/namespaces\/[^/]+\/(deviceprocessdeployments|deviceprocesses)\/([^/]+)/.exec(e.path);
    if (m) {
      const name = m[1] === "deviceprocesses" ? m[2]!.replace(/-[^-]+-[^-]+$/, "") : m[2]!;
      return shardOfName.get(name);
    }
    if (/\/namespaces\/[^/]+\/(deviceprocesses|deviceprocessdeployments)$/.test(e.path)) {
      const labels = ((e.body?.["metadata"] ?? {}) as { labels?: Record<string, string> }).labels ?? {};
      return shardOfName.get(labels["bosun.dev/deployment"] ?? "");
    }
    if (/\/events$/.test(e.path)) {
      const involved = (e.body?.["involvedObject"] ?? {}) as { kind?: string; name?: string };
      return involved.kind === "DeviceProcessDeployment" ? shardOfName.get(involved.name ?? "") : undefined;
    }
    if (/\/configmaps\/bosun-inventory$/.test(e.path)) {
      const keys = Object.keys(((e.body?.["data"] ?? {}) as Record<string, string>) ?? {});
      const key = keys.map((k) => /shard-(\d+)/.exec(k)).find((k) => k);
      return key ? Number(key[1]) : undefined;
    }
    return undefined;
  };
  const statusCommits = (): string[] =>
    [...replicas.values()].flatMap((r) =>
      [...r.output().matchAll(/"statusCommit":"([0-9a-f]{40})"/g)].map((m) => m[1]!),
    );

  beforeAll(async () => {
    client = kubeClient({ qps: 300, burst: 600 });
    await installDeviceCrds(client);
    ns = await createTestNamespace(client, "shards");
    pinned = names.find((n) => shardOfKey(`DeviceProcessDeployment/${ns.name}/${n}`, SHARDS) === 0)!;
    for (const n of names) {
      const body = { metadata: n === pinned ? { annotations: { "bosun.dev/shard": "1" } } : {} };
      shardOfName.set(n, shardOf({ kind: "DeviceProcessDeployment", namespace: ns.name, name: n, body }, SHARDS).shard);
    }
    credentials = await inClusterCredentials(client, ns.name, kubeConnection().caFile);
    gitRoot = await mkdtemp(join(tmpdir(), "bosun-shards-git-"));
    server = await startGitServer({ root: gitRoot });
    await createBareRepo(gitRoot, "fleet");
    tree = await WorkTree.open(`${server.url}/fleet.git`);
    await tree.commitAndPush(
      "main",
      {
        "bosun.yaml": `apiVersion: bosun.dev/v1alpha1\nkind: BosunConfig\ndefaults:\n  namespace: ${ns.name}\nstatus:\n  minIntervalSeconds: 1\n`,
        ...fleet("v1"),
      },
      "fleet: 100 deployments v1",
    );
    sim = await startSimulator({
      client,
      namespace: ns.name,
      devices: { switches: DEVICES, racks: 1, spines: 0 },
      seed: 3,
      delayMs: [50, 200],
    });
    for (const name of ["replica-a", "replica-b"]) {
      const proxy = await AuditProxy.start({
        replica: name,
        upstream: kubeConnection().server,
        labDir: kubeConnection().workDir,
        log,
      });
      proxies.set(name, proxy);
      const mirror = await mkdtemp(join(tmpdir(), `bosun-shards-mirror-${name}-`));
      mirrors.push(mirror);
      replicas.set(
        name,
        await startReplica({
          name,
          apiPort: proxy.port,
          credentialsRoot: credentials.root,
          config: {
            git: {
              repo: { url: `${server.url}/fleet.git`, ref: "main", mirrorDir: mirror },
              poll: { intervalMs: 1000, jitter: 0.1 },
            },
            kubernetes: { qps: 200, burst: 400, stateNamespace: ns.name },
            engine: { requeueMs: 300 },
            listen: { host: "127.0.0.1", port: 0 },
            ha: { shards: SHARDS, leaderElection: { leaseName: PREFIX, ...TIMINGS } },
          },
        }),
      );
    }
  }, 180_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state !== "fail") return;
    for (const r of replicas.values())
      writeFileSync(join(tmpdir(), `bosun-shards-${ns.name}-${r.name}.log`), r.output());
  });

  afterAll(async () => {
    await Promise.all([...replicas.values()].map((r) => r.kill("SIGKILL")));
    await Promise.all([...proxies.values()].map((p) => p.close()));
    await sim?.stop();
    await tree?.dispose();
    await server?.stop();
    await credentials?.cleanup();
    await ns?.cleanup();
    client?.close();
    for (const d of [gitRoot, ...mirrors]) if (d) await rm(d, { recursive: true, force: true });
  });

  it("each replica leads one shard and reconciles only that shard's deployments", async () => {
    const led = await waitFor(
      "each replica to lead one shard",
      async () => {
        const h = await holders();
        const owners = h.map((id) => (id ? replicaOf(id) : undefined));
        return owners.every((o) => o) && new Set(owners).size === SHARDS ? owners : undefined;
      },
      60_000,
      200,
    );
    await waitFor(
      "all 100 rollouts to complete",
      async () => (await completed("v1")) === COUNT || undefined,
      240_000,
      1000,
      async () => `${await completed("v1")} complete`,
    );
    expect(new Set([...shardOfName.values()]).size).toBe(SHARDS);
    expect(shardOfName.get(pinned)).toBe(1);
    // The first replica up leads both shards until the second joins and it gives one up (fair
    // share); from the moment each leads one, each writes for its own shard only.
    const terms = termsOf(log, PREFIX);
    const settled = Math.max(...[0, 1].map((s) => terms.filter((t) => t.shard === s).at(-1)!.from));
    const wrote = new Map<string, Set<number>>();
    for (const e of log.entries) {
      const shard = shardOfWrite(e);
      if (e.seq < settled || shard === undefined || e.status < 200 || e.status >= 300) continue;
      wrote.set(e.replica, (wrote.get(e.replica) ?? new Set()).add(shard));
    }
    for (const [shard, owner] of led.entries()) expect([...(wrote.get(owner!) ?? [])]).toEqual([shard]);
    // The pinned deployment was written by the leader of shard 1 (its annotation), not of its hash shard 0.
    const pinnedWriters = new Set(
      log.entries.filter((e) => e.path.includes(`/deviceprocessdeployments/${pinned}`)).map((e) => e.replica),
    );
    expect([...pinnedWriters]).toEqual([led[1]]);
    expect(splitBrainWrites(log, PREFIX, replicaOf, shardOfWrite)).toEqual([]);
  });

  it("killing one replica moves its shard; the status branch has every object's file and no lost commit", async () => {
    const [h0] = await holders();
    const victim = replicas.get(replicaOf(h0!)!)!;
    const survivor = [...replicas.values()].find((r) => r !== victim)!;
    const killedAt = log.next();
    await victim.kill("SIGKILL");
    await tree.commitAndPush("main", fleet("v2"), "fleet: 100 deployments v2");
    await waitFor(
      "the survivor to lead both shards",
      async () => {
        const h = await holders();
        return h.every((id) => id && replicaOf(id) === survivor.name) || undefined;
      },
      60_000,
      200,
    );
    await waitFor(
      "all 100 rollouts to complete at v2",
      async () => (await completed("v2")) === COUNT || undefined,
      300_000,
      1000,
      async () => `${await completed("v2")} complete`,
    );
    // The survivor wrote for the victim's shard after the kill, in a term of its own.
    const moved = termsOf(log, PREFIX).find((t) => t.shard === 0 && t.from > killedAt);
    expect(moved && replicaOf(moved.holder)).toBe(survivor.name);
    expect(log.entries.some((e) => e.seq > killedAt && e.replica === survivor.name && shardOfWrite(e) === 0)).toBe(
      true,
    );
    expect(splitBrainWrites(log, PREFIX, replicaOf, shardOfWrite)).toEqual([]);

    const bare = join(gitRoot, "fleet.git");
    const revisions = new Map(
      (await client.list("azure.com/v1alpha1", "DeviceProcessDeployment", { namespace: ns.name })).items.map((d) => [
        d.metadata.name,
        String((d["status"] as { revision?: string })["revision"]),
      ]),
    );
    // Every object's file, at its current revision (the final state is always written).
    const behind = async (): Promise<string[]> => {
      const out: string[] = [];
      for (const n of names) {
        const text = await git([
          "--git-dir",
          bare,
          "show",
          `bosun/status:objects/DeviceProcessDeployment/${ns.name}/${n}.yaml`,
        ]).catch(() => "");
        if (!JSON.stringify(parse(text)).includes(revisions.get(n)!)) out.push(n);
      }
      return out;
    };
    await waitFor(
      "every status file at v2's revision",
      async () => {
        await git(["--git-dir", bare, "fetch", "-q", "origin"]).catch(() => undefined);
        return (await behind()).length === 0 || undefined;
      },
      60_000,
      1000,
      // On a timeout: which files lag, by shard, and what the survivor last said about status.
      async () => {
        const lagging = await behind();
        const byShard = lagging.map((n) => `${n}@${shardOfName.get(n) ?? "?"}`).slice(0, 10);
        const said = survivor
          .output()
          .split("\n")
          .filter((l) => /status/i.test(l))
          .slice(-5);
        return `${lagging.length} behind (${byShard.join(", ")}); survivor: ${said.join(" | ")}`;
      },
    );
    const files = (await git(["--git-dir", bare, "ls-tree", "-r", "--name-only", "bosun/status"]))
      .split("\n")
      .filter(Boolean);
    expect(files.filter((f) => f.startsWith(`objects/DeviceProcessDeployment/${ns.name}/`))).toHaveLength(COUNT);
    expect(files).toEqual(expect.arrayContaining(["shards/0/STATUS.md", "shards/1/STATUS.md"]));
    // No lost commit: every status commit either replica pushed is in the branch's history.
    const commits = statusCommits();
    expect(commits.length).toBeGreaterThan(2);
    const history = new Set((await git(["--git-dir", bare, "rev-list", "bosun/status"])).split("\n").filter(Boolean));
    expect(commits.filter((c) => !history.has(c))).toEqual([]);
  });
});
