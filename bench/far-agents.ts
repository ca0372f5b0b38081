/**
 * FAR agents at scale (issue 18): 1,000 FARAgents (active, 1 vCPU / 512 MiB, hostSelector) over 20
 * simulated Flintlock hosts (lab flintlockd, one reconcile worker each, in a child process, over
 * gRPC on Unix sockets), driven by the engine's FleetReconciler with the flintlock backend. The
 * agents' records are kept in memory (no kube-apiserver: its writes are not part of these numbers).
 *
 * Measures: cold convergence (first pass until every agent is active, passes every REQUEUE_MS),
 * an unchanged poll (one pass: wall time, engine CPU, gRPC calls per host), and the engine's RSS.
 *
 *   npm run bench:far-agents                          # zero-latency hosts
 *   START_DELAY_MS=1000 npm run bench:far-agents      # 1 s PENDING → CREATED per microVM (anchor)
 *   AGENTS=1000 HOSTS=20 REQUEUE_MS=200 …
 */
import { spawn } from "node:child_process";
import { setMaxListeners } from "node:events";
import { appendFile, mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { dependenciesOf } from "../engine/desired/dependencies.ts";
import { loadFleet, type DesiredState } from "../engine/desired/load-fleet.ts";
import { builtinKinds } from "../engine/kinds/builtin.ts";
import { createLogger } from "../engine/log/logger.ts";
import { FleetReconciler, type PassReport } from "../engine/reconcile/fleet-reconciler.ts";
import { flintlockBackend, memoryRecords, type FlintlockHostConfig } from "../sinks/flintlock/index.ts";

const AGENTS = Number(process.env["AGENTS"] ?? 1000);
const HOSTS = Number(process.env["HOSTS"] ?? 20);
const DELAY = Number(process.env["START_DELAY_MS"] ?? 0);
const REQUEUE = Number(process.env["REQUEUE_MS"] ?? 200);
const OUT = process.env["BENCH_OUT"] ?? join(import.meta.dirname, "results", "far-agents.md");

function fleet(): DesiredState {
  const enc = new TextEncoder();
  const docs: string[] = [];
  for (let i = 0; i < AGENTS; i++) {
    docs.push(`apiVersion: agents.tinkerbell.io/v1alpha1
kind: FARAgent
metadata:
  name: agent-${String(i).padStart(5, "0")}
  namespace: far
spec:
  taskId: task-${i}
  resourceLimits: { cpu: "1", memory: 512Mi }
  lifecycle: { state: active }
  microvm:
    hostSelector: { matchLabels: { pool: far } }
    kernel: { image: ghcr.io/tinkerbell/far-kernel:6.1.90 }
    rootVolume: { image: ghcr.io/tinkerbell/far-agent-rootfs:1.4.0 }
`);
  }
  const loaded = loadFleet(
    [
      { path: "agents.yaml", bytes: enc.encode(docs.join("---\n")) },
      {
        path: "bosun.yaml",
        bytes: enc.encode(
          "apiVersion: bosun.dev/v1alpha1\nkind: BosunConfig\ndefaults:\n  maxDeletionShare: 30%\n  rollout:\n    maxUnavailable: 10%\n",
        ),
      },
    ],
    { kinds: builtinKinds },
  );
  if (!loaded.ok) throw new Error(loaded.diagnostics.map((d) => d.message).join("\n"));
  return loaded;
}

// Hundreds of concurrent calls listen on one AbortSignal: not a leak.
setMaxListeners(0);
const dir = await mkdtemp(join(tmpdir(), "bosun-far-bench-"));
const child = spawn(
  process.execPath,
  ["--import", "tsx", join(import.meta.dirname, "far-agents-hosts.ts"), String(HOSTS), String(DELAY), dir],
  { stdio: ["pipe", "pipe", "inherit"] },
);
const lines = createInterface({ input: child.stdout! });
const nextLine = (): Promise<string> => new Promise((resolve) => lines.once("line", resolve));
const hosts = JSON.parse(await nextLine()) as FlintlockHostConfig[];
const callsOf = async (): Promise<Record<string, Record<string, number>>> => {
  child.stdin!.write("calls\n");
  return JSON.parse(await nextLine()) as Record<string, Record<string, number>>;
};
const total = (c: Record<string, Record<string, number>>, method?: string): number =>
  Object.values(c).reduce((n, m) => n + (method ? (m[method] ?? 0) : Object.values(m).reduce((a, b) => a + b, 0)), 0);

const logger = createLogger({ level: "silent" });
const backend = flintlockBackend({ config: { hosts, timeoutMs: 30_000 }, records: memoryRecords(), logger });
let last: PassReport | undefined;
const reconciler = new FleetReconciler({
  backends: [backend],
  kinds: builtinKinds,
  dependenciesOf,
  logger,
  onPass: (r) => (last = r),
});
const desired = fleet();
const signal = (): AbortSignal => AbortSignal.timeout(600_000);

// Cold convergence.
const t0 = performance.now();
const cpu0 = process.cpuUsage();
let passes = 0;
let firstPassMs = 0;
let statuses: Awaited<ReturnType<FleetReconciler["apply"]>> = [];
for (;;) {
  const p0 = performance.now();
  statuses = await reconciler.apply(desired, { commit: `c${passes}`, signal: signal() });
  if (passes === 0) firstPassMs = performance.now() - p0;
  passes++;
  if (!last?.progressing) break;
  await new Promise((r) => setTimeout(r, REQUEUE));
}
const coldMs = performance.now() - t0;
const coldCpu = process.cpuUsage(cpu0);
const active = statuses.filter((s) => s.phase === "Ready").length;
const coldCalls = await callsOf();

// Unchanged polls: one pass each, nothing to write.
const polls: { ms: number; cpuMs: number }[] = [];
let pollCalls = 0;
for (let i = 0; i < 5; i++) {
  const before = total(await callsOf());
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  await reconciler.apply(desired, { commit: "steady", signal: signal() });
  const c = process.cpuUsage(c0);
  polls.push({ ms: performance.now() - w0, cpuMs: (c.user + c.system) / 1000 });
  pollCalls = total(await callsOf()) - before;
}
global.gc?.();
const rss = process.memoryUsage().rss / (1024 * 1024);
const heap = process.memoryUsage().heapUsed / (1024 * 1024);
backend.close();
child.stdin!.end();
await new Promise((r) => child.once("exit", r));
await rm(dir, { recursive: true, force: true });

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const row =
  `| ${new Date().toISOString().slice(0, 16)}Z | ${AGENTS} / ${HOSTS} | ${DELAY} ms | ${active} | ${(coldMs / 1000).toFixed(1)} s ` +
  `(${passes} passes, first ${(firstPassMs / 1000).toFixed(2)} s) | ${((coldCpu.user + coldCpu.system) / 1000 / AGENTS).toFixed(2)} ms ` +
  `| ${total(coldCalls, "CreateMicroVM")} creates, ${total(coldCalls, "ListMicroVMs")} lists | ${median(polls.map((p) => p.ms)).toFixed(0)} ms ` +
  `/ ${median(polls.map((p) => p.cpuMs)).toFixed(0)} ms CPU, ${pollCalls} calls | ${rss.toFixed(0)} MiB (heap ${heap.toFixed(0)}) ` +
  `| ${loadavg()[0]?.toFixed(2)} |\n`;
process.stdout.write(row);

await appendFile(OUT, row);
