/**
 * End to end on the real kube-apiserver: lab/kube + the device simulator (its own process, its
 * own rate limit) + the engine (app/engine.ts, in this process). Rolls out v1 to N switches, then
 * a version bump to v2; counts the engine's API requests (TokenBucket.taken) and reports the
 * request rate against the configured QPS. Prints one JSON line.
 * Usage: node --import tsx bench/scale/kube-e2e.ts DEVICES [QPS]
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEngine } from "../../app/engine.ts";
import { KubeClient } from "../../clients/kubernetes/client.ts";
import { loadKubeConfig } from "../../clients/kubernetes/config.ts";
import { TokenBucket } from "../../clients/kubernetes/rate-limit.ts";
import { createLogger } from "../../engine/log/logger.ts";
import type { PassReport } from "../../engine/reconcile/fleet-reconciler.ts";
import { installDeviceCrds } from "../../lab/devices/crds.ts";
import { createBareRepo, startGitServer, WorkTree } from "../../lab/git-server/index.ts";
import { startKubeEnv } from "../../lab/kube/kube-env.ts";
import { peakRssMiB } from "./harness.ts";

const N = Number(process.argv[2] ?? 10_000);
const QPS = Number(process.argv[3] ?? 50);
const NS = "scale";

const deployment = (version: string): string => `apiVersion: azure.com/v1alpha1
kind: DeviceProcessDeployment
metadata:
  name: switch-agent
  namespace: ${NS}
spec:
  selector:
    matchLabels:
      type: switch
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 20%
  template:
    spec:
      artifact:
        type: oci
        url: ghcr.io/apollo/switch-agent:${version}
        version: ${version}
        checksumSHA256: ${"5e".repeat(32)}
      execution:
        backend: container
        command: ["/bin/switch-agent"]
`;

async function main(): Promise<void> {
  const env = await startKubeEnv();
  const dirs: string[] = [];
  const tmp = async (n: string): Promise<string> => {
    const d = await mkdtemp(join(tmpdir(), `bosun-scale-kube-${n}-`));
    dirs.push(d);
    return d;
  };
  const client = new KubeClient(loadKubeConfig({ kubeconfigPath: env.kubeconfigPath }), { qps: 1000, burst: 1000 });
  await installDeviceCrds(client);
  await client.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: NS } }, { fieldManager: "bench" });
  const gitRoot = await tmp("git");
  const server = await startGitServer({ root: gitRoot });
  await createBareRepo(gitRoot, "fleet");
  const url = `${server.url}/fleet.git`;
  const tree = await WorkTree.open(url);
  dirs.push(tree.dir);
  await tree.commitAndPush(
    "main",
    {
      "bosun.yaml": `apiVersion: bosun.dev/v1alpha1\nkind: BosunConfig\ndefaults:\n  namespace: ${NS}\n`,
      "devices/switch-agent.yaml": deployment("v1"),
    },
    "v1",
  );
  const sim = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "lab/devices/cli.ts",
      "--kubeconfig",
      env.kubeconfigPath,
      "--namespace",
      NS,
      "--switches",
      String(N),
      "--delay-ms",
      "200-600",
      "--qps",
      "400",
      "--burst",
      "800",
      "--stats-every",
      "0",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let simLog = "";
  const simReady = new Promise<void>((resolve, reject) => {
    sim.stderr.on("data", (d: Buffer) => {
      simLog += d.toString();
      if (simLog.includes("device simulator running")) resolve();
    });
    sim.stdout.on("data", (d: Buffer) => {
      simLog += d.toString();
      if (simLog.includes("device simulator running")) resolve();
    });
    sim.on("exit", (code) => reject(new Error(`simulator exited ${code}: ${simLog.slice(-2000)}`)));
  });
  const t0 = performance.now();
  await simReady;
  const inventoryMs = performance.now() - t0;
  let last: PassReport | undefined;
  let waiter: (() => void) | undefined;
  const engine = await startEngine(
    {
      git: { repo: { url, ref: "main", mirrorDir: await tmp("mirror") }, poll: { intervalMs: 2000, jitter: 0.1 } },
      kubernetes: { kubeconfig: env.kubeconfigPath, qps: QPS, burst: QPS * 2, stateNamespace: NS },
      engine: { requeueMs: 1000 },
      listen: { host: "127.0.0.1", port: 0 },
    },
    createLogger({ level: "warn" }),
    {
      onReport: (r) => {
        last = r;
        waiter?.();
      },
    },
  );
  const complete = (version: string) =>
    new Promise<void>((resolve) => {
      waiter = () => {
        const d = last?.rollouts[0];
        const counts = d?.status.counts;
        if (
          d &&
          d.status.phase === "Ready" &&
          counts?.["ready"] === N &&
          counts["updated"] === N &&
          JSON.stringify(d.object.body).includes(`:${version}`)
        )
          resolve();
      };
    });
  const windows: number[] = [];
  let prev = TokenBucket.taken;
  const started = performance.now();
  const sampler = setInterval(() => {
    windows.push((TokenBucket.taken - prev) / 10);
    prev = TokenBucket.taken;
    // Progress on stderr (how far a long run got): window rate, requests so far, the deployment's counts.
    const d = last?.rollouts[0]?.status;
    process.stderr.write(
      `kube-e2e: t=${((performance.now() - started) / 1000).toFixed(0)} s window ${windows.at(-1)} req/s, requests ${TokenBucket.taken - r0}, phase ${d?.phase ?? "-"}, ready ${d?.counts?.["ready"] ?? "-"}, updated ${d?.counts?.["updated"] ?? "-"}\n`,
    );
  }, 10_000);
  const r0 = TokenBucket.taken;
  // BENCH_KUBE_DEADLINE_S: give up after that long and report how far the rollout got (finished: false).
  const deadlineS = Number(process.env["BENCH_KUBE_DEADLINE_S"] ?? 0);
  let stage = "v1";
  let timedOut = false;
  const deadline = new Promise<void>((resolve) => {
    if (deadlineS > 0)
      setTimeout(() => {
        timedOut = true;
        resolve();
      }, deadlineS * 1000).unref();
  });
  const v1Start = performance.now();
  await Promise.race([complete("v1"), deadline]);
  const v1Ms = performance.now() - v1Start;
  const r1 = TokenBucket.taken;
  let v2Ms = 0;
  if (!timedOut) {
    stage = "v2";
    await tree.commitAndPush("main", { "devices/switch-agent.yaml": deployment("v2") }, "v2");
    const v2Start = performance.now();
    await Promise.race([complete("v2"), deadline]);
    v2Ms = performance.now() - v2Start;
  }
  const r2 = TokenBucket.taken;
  clearInterval(sampler);
  const d = last?.rollouts[0]?.status;
  const progress = {
    stage,
    phase: d?.phase ?? "",
    ready: d?.counts?.["ready"] ?? 0,
    updated: d?.counts?.["updated"] ?? 0,
    elapsedMs: performance.now() - started,
  };
  await engine.stop(5_000);
  sim.kill("SIGTERM");
  await new Promise((r) => sim.once("exit", r));
  await server.stop();
  client.close();
  await env.stop();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  process.stdout.write(
    `${JSON.stringify({
      devices: N,
      qps: QPS,
      burst: QPS * 2,
      inventoryMs,
      v1RolloutMs: v1Ms,
      v1Requests: r1 - r0,
      v2RolloutMs: v2Ms,
      v2Requests: r2 - r1,
      v2RatePerSecond: v2Ms > 0 ? (r2 - r1) / (v2Ms / 1000) : 0,
      overallRatePerSecond: (r2 - r0) / ((v1Ms + v2Ms) / 1000),
      maxWindowRate: Math.max(0, ...windows),
      finished: !timedOut,
      ...(timedOut ? { timedOutAfterS: deadlineS, progress } : {}),
      peakRssMiB: peakRssMiB(),
    })}\n`,
  );
}

await main();
