/**
 * Edge workloads at scale (issue 15): 10,000 simulated Flightctl devices in 20 fleets (the lab
 * Flightctl in a child process, over HTTPS), one EdgeWorkload per fleet (maxUnavailable 20%),
 * driven by the engine's FleetReconciler with the flightctl backend (inventory and Events in
 * memory: no kube-apiserver in these numbers), a pass every REQUEUE_MS as the loop requeues.
 *
 * Measures: the time for an image update to reach every device (all 10,000 running the new image,
 * from the commit's first pass), the requests Bosun sent per device for it, the requests of an
 * unchanged pass, and the engine's RSS. The lab's agents take STEP_MS per application state
 * (Preparing → Starting → Running: 2 × STEP_MS per device).
 *
 *   npm run bench:edge            (DEVICES=10000 FLEETS=20 STEP_MS=200 REQUEUE_MS=300)
 */
import { spawn } from "node:child_process";
import { setMaxListeners } from "node:events";
import { readFile, writeFile } from "node:fs/promises";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { dependenciesOf } from "../engine/desired/dependencies.ts";
import { loadFleet, type DesiredState } from "../engine/desired/load-fleet.ts";
import { builtinKinds } from "../engine/kinds/builtin.ts";
import { createLogger } from "../engine/log/logger.ts";
import { FleetReconciler } from "../engine/reconcile/fleet-reconciler.ts";
import type { ObjectStatus } from "../engine/status/types.ts";
import { flightctlBackend } from "../sinks/flightctl/index.ts";
import { memoryBackend } from "../sinks/memory/index.ts";

const DEVICES = Number(process.env["DEVICES"] ?? 10_000);
const FLEETS = Number(process.env["FLEETS"] ?? 20);
const STEP_MS = Number(process.env["STEP_MS"] ?? 200);
const REQUEUE = Number(process.env["REQUEUE_MS"] ?? 300);
const OUT = process.env["BENCH_OUT"] ?? join(import.meta.dirname, "results", "edge-workloads.md");
const fleets = Array.from({ length: FLEETS }, (_, i) => `fleet-${String(i).padStart(2, "0")}`);

function desired(image: string): DesiredState {
  const enc = new TextEncoder();
  const files = fleets.map((f) => ({
    path: `edge/${f}.yaml`,
    bytes: enc.encode(`apiVersion: fleet.bosun.dev/v1alpha1
kind: EdgeWorkload
metadata: { name: app-${f}, namespace: edge }
spec:
  fleet: ${f}
  strategy: { maxUnavailable: "20%" }
  containers: [{ name: app, image: ${image}, ports: [{ containerPort: 8080 }] }]
`),
  }));
  const loaded = loadFleet(files);
  if (!loaded.ok) throw new Error(loaded.diagnostics.map((d) => d.message).join("\n"));
  return loaded;
}

const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "../lab/flightctl/serve.ts")], {
  env: { ...process.env, DEVICES: String(DEVICES), FLEETS: String(FLEETS), STEP_MS: String(STEP_MS) },
  stdio: ["pipe", "pipe", "inherit"],
});
const lines = createInterface({ input: child.stdout! });
const next = (): Promise<string> => new Promise((resolve) => lines.once("line", resolve));
const { url, caFile } = JSON.parse(await next()) as { url: string; caFile: string };
const labStats = async (): Promise<{ requests: number; maxInFlight: number }> => {
  child.stdin!.write("stats\n");
  return JSON.parse(await next()) as { requests: number; maxInFlight: number };
};

const m = memoryBackend({ name: "flightctl" });
const backend = flightctlBackend({
  config: {
    url,
    ca: await readFile(caFile, "utf8"),
    insecureSkipVerify: false,
    offlineTimeoutMs: 300_000,
    qps: 200,
    burst: 400,
  },
  records: { inventory: m.backend.inventory, events: m.backend.events },
  logger: createLogger({ level: "silent" }),
});
const reconciler = new FleetReconciler({
  backends: [backend],
  kinds: builtinKinds,
  dependenciesOf,
  logger: createLogger({ level: "silent" }),
});
const signal = new AbortController().signal;
setMaxListeners(0, signal); // one abort listener per request in flight
let commit = 0;
let peakRss = 0;
const pass = async (state: DesiredState): Promise<readonly ObjectStatus[]> => {
  const s = await reconciler.apply(state, { commit: `c${++commit}`, signal });
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  return s;
};

/** Passes until every workload reports all devices updated and running; returns ms, passes, requests. */
async function rollout(image: string): Promise<{ ms: number; passes: number; requests: number }> {
  const state = desired(image);
  const before = backend.client.counts.requests;
  const started = performance.now();
  for (let passes = 1; ; passes++) {
    const statuses = await pass(state);
    const done = statuses.every(
      (s) => s.counts?.["running"] === DEVICES / FLEETS && s.counts?.["updated"] === DEVICES / FLEETS,
    );
    if (done) return { ms: performance.now() - started, passes, requests: backend.client.counts.requests - before };
    await sleep(REQUEUE);
  }
}

const first = await rollout("quay.io/bench/app:1.0");
const update = await rollout("quay.io/bench/app:2.0");
const beforeIdle = backend.client.counts.requests;
const t0 = performance.now();
await pass(desired("quay.io/bench/app:2.0"));
const idleMs = performance.now() - t0;
const idleRequests = backend.client.counts.requests - beforeIdle;
const lab = await labStats();
const rssMiB = (peakRss / 2 ** 20).toFixed(0);
child.stdin!.end();
await backend.close();

const perDevice = (n: number): string => (n / DEVICES).toFixed(3);
const budget = Math.ceil((DEVICES / FLEETS) * 0.2);
const minimum = Math.ceil(DEVICES / FLEETS / budget) * 2 * STEP_MS;
const text = `# Edge workloads: ${DEVICES.toLocaleString("en")} Flightctl devices (bench/edge-workloads.ts)

${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, load ${loadavg()
  .map((l) => l.toFixed(1))
  .join(" ")} (shared machine), Node ${process.version}, sources through tsx.

Setup: lab Flightctl in its own process over HTTPS (lab/flightctl/serve.ts), ${DEVICES.toLocaleString("en")} devices in
${FLEETS} fleets of ${DEVICES / FLEETS}, one EdgeWorkload per fleet with \`maxUnavailable: 20%\` (Flightctl's
disruptionBudget: ${budget} devices per fleet at a time), each device's agent ${STEP_MS} ms per application state
(Preparing → Starting → Running). The engine: FleetReconciler + the flightctl backend, a pass every ${REQUEUE} ms
(as \`engine.requeueMs\`), inventory and Events in memory.

| measure | first rollout | image update |
|---|---|---|
| time until every device runs the image | ${(first.ms / 1000).toFixed(1)} s | ${(update.ms / 1000).toFixed(1)} s |
| engine passes | ${first.passes} | ${update.passes} |
| requests Bosun sent | ${first.requests.toLocaleString("en")} | ${update.requests.toLocaleString("en")} |
| requests per device | ${perDevice(first.requests)} | ${perDevice(update.requests)} |

- Lower bound set by the simulated agents and the budget alone: ${Math.ceil(DEVICES / FLEETS / budget)} batches × 2 × ${STEP_MS} ms = ${(minimum / 1000).toFixed(1)} s per fleet (fleets in parallel).
- Writes: one template PUT per fleet per change (${FLEETS} per rollout); everything else is reads (per pass and fleet: the
  fleet, its devices in pages of 500).
- An unchanged pass: ${idleRequests} requests (${(idleRequests / FLEETS).toFixed(0)} per fleet), ${idleMs.toFixed(0)} ms.
- Engine RSS (peak, this process: reconciler + backend + client): ${rssMiB} MiB.
- Most devices of one fleet updating at once (lab): ${lab.maxInFlight} (budget ${budget}).
- Lab requests served in total: ${lab.requests.toLocaleString("en")}.
`;
await writeFile(OUT, text);
process.stdout.write(text);
process.exit(0);
