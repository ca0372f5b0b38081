/**
 * Failover time (issue 16): three engine replicas (the real CLI, in-cluster credentials, each
 * behind an audit proxy) roll out a DeviceProcessDeployment; the leader is SIGKILLed mid-rollout,
 * and we measure kill → the new leader's Lease acquire (takeover) and kill → its first write of
 * an engine object (the rollout continuing), with client-go's default timings (15 s / 10 s / 2 s)
 * and with short ones (4 s / 2.5 s / 0.5 s). On its own lab kube-apiserver.
 *
 * Usage: node --import tsx bench/failover.ts [ROUNDS]   (npm run bench:failover; default 3 per timing)
 */
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { KubeClient } from "../clients/kubernetes/client.ts";
import { loadKubeConfig } from "../clients/kubernetes/config.ts";
import { installDeviceCrds } from "../lab/devices/crds.ts";
import { startSimulator } from "../lab/devices/simulator.ts";
import { createBareRepo, startGitServer, WorkTree } from "../lab/git-server/index.ts";
import { startKubeEnv } from "../lab/kube/kube-env.ts";
import { AuditLog, AuditProxy, termsOf } from "../test/ha/audit-proxy.ts";
import { inClusterCredentials, startReplica, type Replica } from "../test/ha/support.ts";
import { median } from "./support/stats.ts";
import { writeResults } from "./support/results.ts";

const ROUNDS = Number(process.argv[2] ?? 3);
const DEVICES = 24;
const PREFIX = "bosun";
const TIMINGS = {
  "client-go defaults": { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 },
  short: { leaseDurationMs: 4_000, renewDeadlineMs: 2_500, retryPeriodMs: 500 },
} as const;

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 180_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const checksum = (v: string): string => Buffer.from(v.padEnd(32, "-")).toString("hex");
const deployment = (ns: string, version: string): string => `apiVersion: azure.com/v1alpha1
kind: DeviceProcessDeployment
metadata:
  name: agent
  namespace: ${ns}
spec:
  selector:
    matchLabels:
      type: switch
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 2
  template:
    spec:
      artifact:
        type: oci
        url: ghcr.io/apollo/agent:${version}
        version: ${version}
        checksumSHA256: "${checksum(version)}"
      execution:
        backend: systemd
        command: ["/usr/bin/agent"]
`;

const env = await startKubeEnv({});
const client = new KubeClient(loadKubeConfig({ kubeconfigPath: env.kubeconfigPath }), { qps: 200, burst: 400 });
const rows: Record<string, unknown>[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
try {
  await installDeviceCrds(client);
  for (const [label, timings] of Object.entries(TIMINGS)) {
    const ns = `failover-${label.replace(/\W+/g, "-")}-${process.pid}`.slice(0, 60).replace(/-+$/, "");
    await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    const credentials = await inClusterCredentials(client, ns, env.caFile);
    cleanups.push(() => credentials.cleanup());
    const gitRoot = await mkdtemp(join(tmpdir(), "bosun-failover-git-"));
    cleanups.push(() => rm(gitRoot, { recursive: true, force: true }));
    const server = await startGitServer({ root: gitRoot });
    cleanups.push(() => server.stop());
    await createBareRepo(gitRoot, "fleet");
    const tree = await WorkTree.open(`${server.url}/fleet.git`);
    cleanups.push(() => tree.dispose());
    let version = 1;
    await tree.commitAndPush(
      "main",
      {
        "bosun.yaml": `apiVersion: bosun.dev/v1alpha1\nkind: BosunConfig\ndefaults:\n  namespace: ${ns}\n`,
        "devices/agent.yaml": deployment(ns, `v${version}`),
      },
      "v1",
    );
    const sim = await startSimulator({
      client,
      namespace: ns,
      devices: { switches: DEVICES, racks: 4, spines: 0 },
      seed: 5,
      delayMs: [300, 900],
    });
    cleanups.push(() => sim.stop());
    const log = new AuditLog();
    const proxies = new Map<string, AuditProxy>();
    const replicas = new Map<string, Replica>();
    const start = async (name: string): Promise<void> => {
      const mirror = await mkdtemp(join(tmpdir(), `bosun-failover-${name}-`));
      cleanups.push(() => rm(mirror, { recursive: true, force: true }));
      const r = await startReplica({
        name,
        apiPort: proxies.get(name)!.port,
        credentialsRoot: credentials.root,
        config: {
          git: {
            repo: { url: `${server.url}/fleet.git`, ref: "main", mirrorDir: mirror },
            poll: { intervalMs: 1000, jitter: 0.1 },
          },
          kubernetes: { qps: 100, burst: 200, stateNamespace: ns },
          engine: { requeueMs: 300 },
          listen: { host: "127.0.0.1", port: 0 },
          ha: { shards: 1, leaderElection: { leaseName: PREFIX, ...timings } },
        },
      });
      replicas.set(name, r);
    };
    for (const name of ["replica-a", "replica-b", "replica-c"]) {
      const proxy = await AuditProxy.start({ replica: name, upstream: env.server, labDir: env.workDir, log });
      proxies.set(name, proxy);
      cleanups.push(() => proxy.close());
      await start(name);
    }
    cleanups.push(() => Promise.all([...replicas.values()].map((r) => r.kill("SIGKILL"))));
    const status = async (): Promise<Record<string, unknown>> =>
      ((
        await client.get({
          apiVersion: "azure.com/v1alpha1",
          kind: "DeviceProcessDeployment",
          namespace: ns,
          name: "agent",
        })
      )?.["status"] ?? {}) as Record<string, unknown>;
    const holder = async (): Promise<string | undefined> =>
      (
        (
          await client.get({
            apiVersion: "coordination.k8s.io/v1",
            kind: "Lease",
            namespace: ns,
            name: `${PREFIX}-shard-0`,
          })
        )?.["spec"] as { holderIdentity?: string } | undefined
      )?.holderIdentity;
    const done = async (): Promise<boolean> => {
      const s = await status();
      return (
        s["updatedNumberScheduled"] === DEVICES &&
        s["numberReady"] === DEVICES &&
        JSON.stringify(s).includes("RolloutComplete")
      );
    };
    await until("the first rollout", done);
    for (let round = 1; round <= ROUNDS; round++) {
      const before = (await status())["revision"];
      version++;
      await tree.commitAndPush("main", { "devices/agent.yaml": deployment(ns, `v${version}`) }, `v${version}`);
      await until("the update to start", async () => {
        const s = await status();
        const updated = Number(s["updatedNumberScheduled"] ?? 0);
        return s["revision"] !== before && updated >= 2 && updated < DEVICES - 4;
      });
      const leaderId = await until("a leader", holder);
      const leader = replicas.get(leaderId.split("_")[0]!)!;
      const mark = log.next();
      const killedAt = performance.now();
      await leader.kill("SIGKILL");
      const term = await until("the takeover", async () => termsOf(log, PREFIX).find((t) => t.from > mark));
      const next = term.holder.split("_")[0];
      const acquire = log.entries.find((e) => e.answerSeq === term.from)!;
      const first = await until("the new leader's first write", async () =>
        log.entries.find((e) => e.seq > term.from && e.replica === next && !/\/leases(\/|$)/.test(e.path)),
      );
      rows.push({
        timings: label,
        round,
        "takeover (s)": ((acquire.at - killedAt) / 1000).toFixed(2),
        "kill → first write (s)": ((first.at - killedAt) / 1000).toFixed(2),
        "first write": `${first.method} ${first.path.replace(/^\/apis?\/(.*?\/)?namespaces\/[^/]+\//, "")}`,
        load: loadavg()[0]!.toFixed(1),
      });
      process.stderr.write(`${JSON.stringify(rows.at(-1))}\n`);
      await until("the rollout to complete", done);
      await start(leader.name); // back to three replicas
    }
  }
} finally {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  client.close();
  await env.stop();
}
const summary = Object.keys(TIMINGS).map((label) => {
  const mine = rows.filter((r) => r["timings"] === label);
  return `${label}: median kill → first write ${median(mine.map((r) => Number(r["kill → first write (s)"]))).toFixed(2)} s over ${mine.length} kills`;
});
writeResults("failover", "Failover: SIGKILL of the leader → first write by the new leader", rows, [
  ...summary,
  `Three replicas of \`bosun serve\` (tsx, from the sources) on one lab kube-apiserver, in-cluster credentials, each behind a loopback audit proxy that timestamps writes; a DeviceProcessDeployment over ${DEVICES} simulated switches rolling out (maxUnavailable 2) when the leader is killed.`,
  "takeover = the new leader's Lease write answered; first write = its first write of anything but a Lease (the rollout continuing). Expected: up to the lease duration since the last renew the others saw, plus up to 1.2 retry periods, plus one pass (fetch, load, first apply).",
  "A graceful stop (SIGTERM, e.g. a rolling upgrade) hands the Lease over at once (holder cleared), so a standby takes over within one retry period instead of the lease duration.",
]);
