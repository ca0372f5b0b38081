/**
 * One scenario in its own process (so its peak RSS is its own): prints one JSON line.
 * Usage: node --import tsx bench/scale/child.ts SCENARIO DEVICES
 */
import { readDeployment } from "../../engine/kinds/device-process-deployment/deployment.ts";
import { place, renderProcess } from "../../engine/kinds/device-process-deployment/expand.ts";
import { rolloutStep } from "../../engine/kinds/device-process-deployment/rollout.ts";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { getHeapSpaceStatistics } from "node:v8";
import { parse } from "yaml";
import { renderStatusFiles } from "../../engine/status/documents.ts";
import { StatusWriter } from "../../engine/status/writer.ts";
import { WorkTree } from "../../lab/git-server/index.ts";
import { fleetFiles, loadFixture } from "./fixtures.ts";
import {
  agentsReady,
  auth,
  cpuMs,
  fetchLoad,
  ingestLive,
  parseLiveOnly,
  peakRssMiB,
  pushVersion,
  reconcile,
  rssMiB,
  setup,
  teardown,
  type Harness,
  type RemoteGitServer,
} from "./harness.ts";

type Result = Record<string, number | string | boolean>;

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

/**
 * Cold: fetch + load the fleet repo, fold the LIST pages, one reconcile pass (expand, step, dispatch the first batch).
 * Live runs v1, the repo asks for v2.
 */
async function cold(n: number): Promise<Result> {
  const h = await setup("v2");
  try {
    const t0 = performance.now();
    const desired = await fetchLoad(h);
    const t1 = performance.now();
    const ingestMs = ingestLive(h, n, "v1");
    const t2 = performance.now();
    await reconcile(h, desired);
    const t3 = performance.now();
    const generateMs = t2 - t1 - ingestMs;
    const report = h.reports.at(-1);
    const dispatched = h.backend.calls.applied;
    // Baseline: parsing the same inputs alone (YAML of the fleet files, JSON of the LIST pages).
    const b0 = performance.now();
    for (const text of fleetFiles("v2").values()) parse(text);
    const yamlMs = performance.now() - b0;
    const jsonMs = parseLiveOnly(n, "v1");
    return {
      fetchLoadMs: t1 - t0,
      ingestMs,
      reconcileMs: t3 - t2,
      totalMs: t3 - t0 - generateMs,
      baselineMs: yamlMs + jsonMs,
      dispatched,
      deployments: report?.rollouts.length ?? 0,
      processes: h.backend.store.size().processes,
      peakRssMiB: peakRssMiB(),
    };
  } finally {
    await teardown(h);
  }
}

/** Brings a harness to a settled fleet at v1 with n devices (live matches desired). */
async function settled(n: number, incremental = true, remote?: RemoteGitServer): Promise<{ h: Harness }> {
  const h = await setup("v1", incremental, remote);
  const desired = await fetchLoad(h);
  ingestLive(h, n, "v1");
  for (let i = 0; i < 3; i++) await reconcile(h, desired);
  return { h };
}

/**
 * Unchanged polls: git ref check + reconcile pass, CPU per poll, RSS over `polls` polls. Baseline: the same poll with
 * incremental off.
 */
async function poll(n: number, polls: number): Promise<Result> {
  // The git server runs in a process of its own, as a real one would: the CPU measured is the engine's alone (the lab
  // server spawns git http-backend per request; in-process, that spawn was counted as the poll's).
  // BENCH_POLL_SERVER=inprocess measures the old way.
  const inProcess = process.env["BENCH_POLL_SERVER"] === "inprocess";
  const { h } = await settled(n, true, inProcess ? undefined : await spawnGitServer("v1"));
  try {
    gc();
    const rssStart = rssMiB();
    const cpu: number[] = [];
    const rss: number[] = [];
    // Every 100 polls after GC: [poll, rss, heapUsed, heapTotal, external, arrayBuffers] MiB.
    const trace: number[][] = [];
    const m0 = process.memoryUsage();
    trace.push([0, rssStart, mib(m0.heapUsed), mib(m0.heapTotal), mib(m0.external), mib(m0.arrayBuffers)]);
    for (let i = 0; i < polls; i++) {
      const c = cpuMs();
      const desired = await fetchLoad(h);
      await reconcile(h, desired);
      cpu.push(cpuMs() - c);
      if (i % 100 === 99) {
        gc();
        rss.push(rssMiB());
        const m = process.memoryUsage();
        trace.push([i + 1, rssMiB(), mib(m.heapUsed), mib(m.heapTotal), mib(m.external), mib(m.arrayBuffers)]);
      }
    }
    const reconcileOnly: number[] = [];
    for (let i = 0; i < 50; i++) {
      const c = cpuMs();
      await reconcile(h, h.desired ?? (await fetchLoad(h)));
      reconcileOnly.push(cpuMs() - c);
    }
    const sorted = [...cpu].sort((a, b) => a - b);
    return {
      polls,
      cpuMsMedian: sorted[Math.floor(polls / 2)] ?? 0,
      cpuMsP95: sorted[Math.floor(polls * 0.95)] ?? 0,
      reconcileCpuMsMedian: [...reconcileOnly].sort((a, b) => a - b)[25] ?? 0,
      rssStartMiB: rssStart,
      rssEndMiB: rss.at(-1) ?? 0,
      rssMinMiB: Math.min(...rss),
      rssMaxMiB: Math.max(...rss),
      peakRssMiB: peakRssMiB(),
      statusWrites: h.backend.calls.statuses,
      lists: h.backend.calls.lists,
      fetchRetries: h.fetchRetries,
      ...memoryBreakdown(),
      memoryTrace: JSON.stringify(trace),
      gitServer: inProcess ? "in process" : "own process",
      lsRefsRequests: h.mirror.stats.lsRefs,
      lsRefsParsed: h.mirror.stats.lsRefsParsed,
    };
  } finally {
    await teardown(h);
  }
}

/**
 * The poll's baseline in its own process: the same unchanged pass with incremental off (lists everything, steps every
 * deployment).
 */
async function pollFull(n: number): Promise<Result> {
  const { h } = await settled(n, false);
  try {
    const cpu: number[] = [];
    for (let i = 0; i < 5; i++) {
      const c = cpuMs();
      await reconcile(h, await fetchLoad(h));
      cpu.push(cpuMs() - c);
    }
    return { baselineFullPassCpuMsMedian: [...cpu].sort((a, b) => a - b)[2] ?? 0, peakRssMiB: peakRssMiB() };
  } finally {
    await teardown(h);
  }
}

/**
 * One-line change: a version bump of fleet-agent (80 % of devices) → first batch applied. Baseline: the pure core
 * alone on the same inputs.
 */
async function bump(n: number): Promise<Result> {
  const { h } = await settled(n);
  try {
    await pushVersion(h, "v2");
    const before = h.backend.calls.applied;
    const t0 = performance.now();
    const desired = await fetchLoad(h);
    const t1 = performance.now();
    await reconcile(h, desired);
    const t2 = performance.now();
    const dispatched = h.backend.calls.applied - before;
    const object = desired.objects.find((o) => o.name === "fleet-agent");
    if (!object) throw new Error("no fleet-agent");
    const state = h.backend.store;
    const b0 = performance.now();
    const dep = readDeployment(object, desired.config);
    const placements = place(dep, state.devices().value);
    const step = rolloutStep({
      deployment: dep,
      placements,
      live: state.processes("infra", "fleet-agent").value,
      approvedWaves: new Set(),
      reachable: () => true,
      maxFailing: 20,
    });
    for (const p of step.toApply) renderProcess(dep, p, undefined);
    const baselineMs = performance.now() - b0;
    // The rest of the rollout: agents report ready, passes until complete.
    let passes = 0;
    const r0 = performance.now();
    while (h.reports.at(-1)?.progressing && passes < 100) {
      agentsReady(h);
      await reconcile(h, desired);
      passes++;
    }
    const rolloutMs = performance.now() - r0;
    return {
      selected: placements.length,
      dispatched,
      fetchLoadMs: t1 - t0,
      planDispatchMs: t2 - t1,
      totalMs: t2 - t0,
      updatesPerSecond: Math.round(dispatched / ((t2 - t1) / 1000)),
      baselineMs,
      restPasses: passes,
      restOfRolloutMs: rolloutMs,
      applied: h.backend.calls.applied - before,
      peakRssMiB: peakRssMiB(),
    };
  } finally {
    await teardown(h);
  }
}

/** Steady memory with n devices known: settled fleet, 20 unchanged polls, RSS after GC. */
async function memory(n: number): Promise<Result> {
  const { h } = await settled(n);
  try {
    for (let i = 0; i < 20; i++) await reconcile(h, h.desired ?? (await fetchLoad(h)));
    gc();
    return {
      devices: n,
      processes: h.backend.store.size().processes,
      rssMiB: rssMiB(),
      ...memoryBreakdown(),
      peakRssMiB: peakRssMiB(),
    };
  } finally {
    await teardown(h);
  }
}

/**
 * Status commit + push of the 100k fleet's statuses (one deployment's status changed per run) vs native git doing the
 * same.
 */
async function status(n: number, runs: number): Promise<Result> {
  const { h } = await settled(n);
  try {
    const statuses = await reconcile(h, h.desired ?? (await fetchLoad(h)));
    const writer = new StatusWriter({ mirror: h.mirror });
    const snap = (round: number) =>
      renderStatusFiles({
        commit: { repo: h.url, ref: "main", phase: "Applied", observedCommit: h.commit ?? "" },
        objects: statuses.map((o, i) => (i === 0 ? { ...o, lastError: `round ${round}` } : o)),
      });
    // After the long settle the pooled keep-alive socket may be closed by the server: the loop would retry, so does
    // this.
    const write = async (files: ReturnType<typeof snap>, message: string): Promise<void> => {
      try {
        await writer.write({ branch: "bosun/status", prefix: "" }, files, message);
      } catch {
        retries++;
        await writer.write({ branch: "bosun/status", prefix: "" }, files, message);
      }
    };
    let retries = 0;
    await write(snap(-1), "initial status");
    const wt = await WorkTree.open(h.url, auth);
    h.dirs.push(wt.dir);
    await wt.checkout("bosun/status");
    const ours: number[] = [];
    const native: number[] = [];
    for (let run = 0; run < runs; run++) {
      const files = snap(run);
      const t0 = performance.now();
      await write(files, `status ${run}`);
      ours.push(performance.now() - t0);
      const first = [...files.files.keys()].find((k) => k.includes("fleet-agent")) ?? "STATUS.md";
      const t1 = performance.now();
      await wt.run(["pull", "--quiet", "--ff-only", "origin", "bosun/status"]);
      await wt.write({ [first]: files.files.get(first) ?? "" });
      await wt.commit(`native ${run}`);
      await wt.push("bosun/status");
      native.push(performance.now() - t1);
    }
    const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    return {
      files: snap(0).files.size,
      runs,
      oursMsMedian: med(ours),
      nativeMsMedian: med(native),
      oursMsMax: Math.max(...ours),
      writeRetries: retries,
      peakRssMiB: peakRssMiB(),
    };
  } finally {
    await teardown(h);
  }
}

const mib = (x: number): number => Math.round((x / 2 ** 20) * 10) / 10;

/** Starts `gitserver VERSION` (this same child, another process) and returns its URL once it serves the fleet. */
async function spawnGitServer(version: string): Promise<RemoteGitServer> {
  const proc = spawn(process.execPath, [...process.execArgv, process.argv[1] ?? "", "gitserver", version], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    proc.stdout.on("data", (b: Buffer) => {
      out += b.toString("utf8");
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    proc.once("exit", (code) => reject(new Error(`git server process exited ${code}`)));
  });
  return {
    url,
    stop: async () => {
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await exited;
    },
  };
}

/** The `gitserver` scenario: the lab git server with the fleet at `version`, until SIGTERM. */
async function gitServer(version: string): Promise<void> {
  const h = await setup(version);
  process.stdout.write(`${JSON.stringify({ url: h.url })}\n`);
  await new Promise<void>((resolve) => process.once("SIGTERM", () => resolve()));
  await teardown(h);
}

/** Where the RSS is: V8 heap (used / committed, by space), external and array buffers, anonymous vs file-backed RSS. */
function memoryBreakdown(): Result {
  const m = process.memoryUsage();
  const spaces: Result = {};
  for (const s of getHeapSpaceStatistics()) spaces[`${s.space_name}MiB`] = mib(s.space_size);
  return {
    heapUsedMiB: mib(m.heapUsed),
    heapTotalMiB: mib(m.heapTotal),
    externalMiB: mib(m.external),
    arrayBuffersMiB: mib(m.arrayBuffers),
    ...rssKinds(),
    ...spaces,
  };
}

/** RssAnon / RssFile from /proc/self/status (Linux). */
function rssKinds(): Result {
  try {
    const text = readFileSync("/proc/self/status", "utf8");
    const kb = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(text)?.[1] ?? 0);
    return { rssAnonMiB: mib(kb("RssAnon") * 1024), rssFileMiB: mib(kb("RssFile") * 1024) };
  } catch {
    return {};
  }
}

/**
 * The process floor: nothing but the modules this child imports (the engine, the harness, the lab git server), RSS
 * after GC.
 */
function floor(): Result {
  gc();
  return { rssMiB: rssMiB(), ...memoryBreakdown(), peakRssMiB: peakRssMiB() };
}

async function main(): Promise<void> {
  const [scenario, count, extra] = process.argv.slice(2);
  if (scenario === "gitserver") return gitServer(count ?? "v1");
  const n = Number(count ?? 100_000);
  const result =
    scenario === "cold"
      ? await cold(n)
      : scenario === "poll"
        ? await poll(n, Number(extra ?? 1000))
        : scenario === "pollfull"
          ? await pollFull(n)
          : scenario === "bump"
            ? await bump(n)
            : scenario === "memory"
              ? await memory(n)
              : scenario === "status"
                ? await status(n, Number(extra ?? 5))
                : scenario === "floor"
                  ? floor()
                  : undefined;
  if (!result) throw new Error(`unknown scenario ${scenario}`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  // Silence "unused" for the fixture loader kept for ad-hoc profiling.
  void loadFixture;
}

await main();
