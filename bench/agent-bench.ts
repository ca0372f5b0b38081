/**
 * Device agent footprint: RSS and CPU of `bosun-agent` managing 10 DeviceProcesses (exec
 * backend; 5 busybox httpd with HTTP health checks, 5 shell loops with exec health checks), all
 * health checks every 5 s, measured over BENCH_MINUTES (default 3) after everything is Running and
 * Healthy. Against the real lab kube-apiserver (lab/kube). Two ways to run the agent:
 *   - "tsx":    bin/bosun-agent.mjs (TypeScript through tsx, as in development)
 *   - "bundle": scripts/build-agent.mjs's one-file CommonJS bundle, run by plain node with the device
 *               flags (as on a device)
 * Targets (seed 004): < 50 MB RSS, < 5 % of one core.
 * Run: npm run bench:agent   → writes bench/results/agent.md
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { cpus, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { startKubeEnv } from "../lab/kube/kube-env.ts";
import { KubeClient } from "../agent/kube/client.ts";
import { loadKubeconfig } from "../agent/kube/kubeconfig.ts";
import { sleep } from "../agent/backends/proc.ts";
import { startArtifactServer } from "../agent/testing/artifact-server.ts";
import { createDp, createNamespace, ensureDeviceProcessCrd, killAll, REPO } from "../agent/testing/harness.ts";
import type { DeviceProcess } from "../agent/model.ts";
import { DEVICE_NODE_FLAGS } from "../agent/device-runtime.ts";
import { buildAgent } from "../scripts/build-agent.mjs";

const MINUTES = Number(process.env["BENCH_MINUTES"] ?? 3);
const VARIANTS = (process.env["BENCH_VARIANTS"] ?? "bundle,tsx").split(",");
const N = 10;
/** The device flags (agent/device-runtime.ts), or BENCH_NODE_FLAGS for experiments. */
const NODE_FLAGS = process.env["BENCH_NODE_FLAGS"]?.split(" ").filter(Boolean) ?? DEVICE_NODE_FLAGS;
const TICK = 100; // USER_HZ
const NOTES_MARKER = "<!-- notes: kept by the bench -->";

async function procStat(
  pid: number,
): Promise<{ cpuTicks: number; childTicks: number; rssKb: number; anonKb: number; fileKb: number }> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return {
    cpuTicks: Number(f[11]) + Number(f[12]),
    childTicks: Number(f[13]) + Number(f[14]),
    rssKb: kb("VmRSS"),
    anonKb: kb("RssAnon"),
    fileKb: kb("RssFile"),
  };
}

/** Kills processes with an argument containing `s` (the exec'd busybox httpd carry the bench dir). */
async function killWithArg(s: string): Promise<void> {
  for (const d of await readdir("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    const cmd = await readFile(`/proc/${d}/cmdline`, "utf8").catch(() => "");
    if (cmd.split("\0").some((a) => a.includes(s)))
      try {
        process.kill(Number(d), "SIGKILL");
      } catch {
        /* gone */
      }
  }
}

interface Mem {
  t: number;
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}
interface Result {
  variant: string;
  label: string;
  rssMaxMb: number;
  anonLastMinMb: number;
  fileLastMinMb: number;
  rssAvgMb: number;
  rssFirstMinMb: number;
  rssLastMinMb: number;
  slopeMbPerHour: number;
  slopeSettledMbPerHour: number;
  cpuPct: number;
  cpuWithProbesPct: number;
  seconds: number;
  startupMs: number;
  mem?: { first: Mem; last: Mem };
}

/** Least-squares slope of ys sampled every `stepS` seconds, in units per hour. */
function slopePerHour(ys: number[], stepS: number): number {
  const n = ys.length;
  if (n < 2) return 0;
  const mx = (n - 1) / 2;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  ys.forEach((y, i) => {
    num += (i - mx) * (y - my);
    den += (i - mx) ** 2;
  });
  return (num / den) * (3600 / stepS);
}

/**
 * BENCH_MEMTRACE=1: a preload module samples process.memoryUsage() in the agent every 5 s into a
 * JSON-lines file (its own cost is a timer and a few hundred bytes a sample).
 */
const MEMTRACE = process.env["BENCH_MEMTRACE"] === "1";
const memtraceModule = (file: string): string => `import { appendFileSync } from "node:fs";
setInterval(() => { const m = process.memoryUsage(); appendFileSync(${JSON.stringify(file)}, JSON.stringify({ t: Date.now(), rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers }) + "\\n"); }, 5000).unref();
`;

async function readMemtrace(file: string, fromMs: number): Promise<{ first: Mem; last: Mem } | undefined> {
  const xs = (await readFile(file, "utf8").catch(() => ""))
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Mem)
    .filter((m) => m.t >= fromMs);
  if (xs.length < 24) return undefined;
  const avg = (ms: Mem[]): Mem => {
    const o = { t: ms[0]?.t ?? 0, rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
    for (const m of ms)
      for (const k of ["rss", "heapTotal", "heapUsed", "external", "arrayBuffers"] as const)
        o[k] += m[k] / ms.length / 2 ** 20;
    return o;
  };
  return { first: avg(xs.slice(0, 12)), last: avg(xs.slice(-12)) };
}

interface Variant {
  name: string;
  label: string;
  argv0: string[];
  env: Record<string, string>;
}

async function runVariant(v: Variant, index: number, kubeconfig: string, client: KubeClient): Promise<Result> {
  const { argv0 } = v;
  const variant = v.name;
  const srv = await startArtifactServer();
  const ns = await createNamespace(client, `bench-agent-${index}`);
  const dir = await mkdtemp(join(tmpdir(), "bosun-agent-bench-"));
  const device = `bench-${index}`;
  const marker = `bosun-bench-${Date.now()}`;
  const httpd = srv.put(
    "httpd.sh",
    `#!/bin/sh\nmkdir -p "$2" && echo ok > "$2/index.html"\nexec /bin/busybox httpd -f -p "127.0.0.1:$1" -h "$2"\n`,
  );
  const loop = srv.put("loop.sh", `#!/bin/sh\ntrap 'exit 0' TERM\nwhile true; do sleep 5; done\n`);
  const basePort = 20000 + Math.floor(Math.random() * 20000);
  for (let i = 0; i < N; i++) {
    const http = i < N / 2;
    await createDp(client, ns, `p${i}`, device, {
      artifact: {
        type: "http",
        url: `${srv.url}/files/${http ? "httpd.sh" : "loop.sh"}`,
        checksumSHA256: http ? httpd : loop,
        version: "v1",
      },
      execution: {
        backend: "exec",
        command: ["/bin/sh", "$(BOSUN_ARTIFACT)"],
        args: http ? [String(basePort + i), join(dir, `www${i}`), marker] : [marker],
      },
      restartPolicy: "Always",
      healthCheck: {
        ...(http ? { http: { port: basePort + i, path: "/" } } : { exec: { command: ["/bin/true"] } }),
        periodSeconds: 5,
        timeoutSeconds: 2,
      },
    });
  }
  const t0 = Date.now();
  const trace = join(dir, "memtrace.jsonl");
  if (MEMTRACE) await writeFile(join(dir, "memtrace.mjs"), memtraceModule(trace));
  const preload = MEMTRACE ? ["--import", join(dir, "memtrace.mjs")] : [];
  const agent = spawn(
    argv0[0] ?? process.execPath,
    [
      ...preload,
      ...argv0.slice(1),
      "--device",
      device,
      "--kubeconfig",
      kubeconfig,
      "--namespace",
      ns,
      "--state-dir",
      join(dir, "state"),
      "--allow-insecure-http",
      "--lease-interval",
      "10",
      "--log-level",
      "warn",
    ],
    { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, ...v.env } },
  );
  const pid = agent.pid ?? 0;
  let exited = false;
  agent.once("exit", () => {
    exited = true;
  });
  try {
    for (;;) {
      if (exited) throw new Error(`the ${variant} agent exited during start-up`);
      const list = await client.json<{ items: DeviceProcess[] }>(
        "GET",
        `/apis/azure.com/v1alpha1/namespaces/${ns}/deviceprocesses`,
      );
      if (
        list.items.length === N &&
        list.items.every(
          (d) =>
            d.status?.phase === "Running" && d.status.conditions?.find((c) => c.type === "Healthy")?.status === "True",
        )
      )
        break;
      if (Date.now() - t0 > 120_000) throw new Error("agent did not bring up 10 healthy processes in 2 minutes");
      await sleep(200);
    }
    const startupMs = Date.now() - t0;
    await sleep(10_000); // warm-up
    const start = await procStat(pid);
    const tStart = Date.now();
    let rssMax = start.rssKb;
    const series: number[] = [];
    const anon: number[] = [];
    const file: number[] = [];
    while (Date.now() - tStart < MINUTES * 60_000) {
      await sleep(5_000);
      const s = await procStat(pid);
      rssMax = Math.max(rssMax, s.rssKb);
      series.push(s.rssKb);
      anon.push(s.anonKb);
      file.push(s.fileKb);
    }
    const end = await procStat(pid);
    const seconds = (Date.now() - tStart) / 1000;
    const cpuPct = ((end.cpuTicks - start.cpuTicks) / TICK / seconds) * 100;
    const cpuWithProbesPct =
      ((end.cpuTicks + end.childTicks - start.cpuTicks - start.childTicks) / TICK / seconds) * 100;
    const avg = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length) / 1024;
    const mem = MEMTRACE ? await readMemtrace(trace, tStart) : undefined;
    const seriesOut = process.env["BENCH_SERIES"];
    if (seriesOut) {
      await writeFile(`${seriesOut}.${index}.json`, JSON.stringify(series));
      if (MEMTRACE) await writeFile(`${seriesOut}.${index}.mem.jsonl`, await readFile(trace, "utf8").catch(() => ""));
    }
    return {
      variant: v.name,
      label: v.label,
      rssMaxMb: rssMax / 1024,
      anonLastMinMb: avg(anon.slice(-12)),
      fileLastMinMb: avg(file.slice(-12)),
      rssAvgMb: avg(series),
      rssFirstMinMb: avg(series.slice(0, 12)),
      rssLastMinMb: avg(series.slice(-12)),
      slopeMbPerHour: slopePerHour(
        series.map((kb) => kb / 1024),
        5,
      ),
      slopeSettledMbPerHour: slopePerHour(
        series.slice(24).map((kb) => kb / 1024),
        5,
      ),
      cpuPct,
      cpuWithProbesPct,
      seconds,
      startupMs,
      ...(mem ? { mem } : {}),
    };
  } finally {
    agent.kill("SIGKILL"); // its processes outlive it by design: end them here
    await killAll(marker);
    await killWithArg(dir);
    await srv.close();
    await client.json("DELETE", `/api/v1/namespaces/${ns}`).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * "tsx" (development), "bundle" (device flags), or "bundle+X+Y…": the device flags plus V8/node
 * flags X, Y (starting with "-") or environment variables (NAME=VALUE), for flag experiments;
 * "bundle=X+Y" uses only X, Y instead of the device flags.
 */
function variantOf(name: string, bundle: string): Variant {
  if (name === "tsx")
    return {
      name,
      label: "`bin/bosun-agent.mjs` via tsx, default V8 flags (development)",
      argv0: [process.execPath, join(REPO, "bin/bosun-agent.mjs")],
      env: {},
    };
  const replace = name.startsWith("bundle=");
  const parts = name
    .slice(replace ? 7 : 6)
    .split("+")
    .filter(Boolean);
  if (!name.startsWith("bundle")) throw new Error(`unknown variant ${name}`);
  const flags = [...(replace ? [] : NODE_FLAGS), ...parts.filter((p) => p.startsWith("-"))];
  const env = Object.fromEntries(
    parts.filter((p) => !p.startsWith("-")).map((p) => [p.slice(0, p.indexOf("=")), p.slice(p.indexOf("=") + 1)]),
  );
  const envText = Object.entries(env)
    .map(([k, val]) => `${k}=${val} `)
    .join("");
  return {
    name,
    label: `esbuild bundle, \`${envText}node ${flags.join(" ")}\``,
    argv0: [process.execPath, ...flags, bundle],
    env,
  };
}

async function main(): Promise<void> {
  const env = await startKubeEnv({});
  const client = new KubeClient(await loadKubeconfig(env.kubeconfigPath));
  const out = await mkdtemp(join(tmpdir(), "bosun-agent-bundle-"));
  const results: Result[] = [];
  try {
    await ensureDeviceProcessCrd(client);
    const bundle = await buildAgent(join(out, "bosun-agent.cjs"));
    for (const [i, name] of VARIANTS.entries()) {
      const v = variantOf(name, bundle);
      const r = await runVariant(v, i, env.kubeconfigPath, client);
      results.push(r);
      process.stderr.write(`${JSON.stringify(r)}\n`);
    }
  } finally {
    client.close();
    await env.stop();
    await rm(out, { recursive: true, force: true });
  }
  const f = (n: number, d = 1): string => n.toFixed(d);
  const md = `# Device agent footprint (bench/agent-bench.ts)

10 DeviceProcesses on the \`exec\` backend (5 busybox httpd with HTTP health checks, 5 shell loops with
exec health checks \`/bin/true\`), every health check every 5 s, process liveness checked every 1 s,
heartbeat Lease every 10 s, against the lab kube-apiserver (v1.20.2 on loopback). Measured over
${MINUTES} min after all 10 were Running and Healthy (+10 s warm-up); RSS sampled every 5 s from /proc.
"CPU" is the agent process alone; "with probes" adds the reaped health-check children (cutime+cstime).

Targets (seed 004): **< 50 MB RSS, < 5 % of one core.** RSS is VmRSS from /proc in MiB (1 MiB = 1.049 MB).

| how the agent runs | RSS max | RSS avg | RSS avg 1st min → last min | slope (all; after min 2) | last min: anon + file-backed | CPU (agent) | CPU (agent + probe children) | time to 10 healthy |
|---|---|---|---|---|---|---|---|---|
${results.map((r) => `| ${r.label} | ${f(r.rssMaxMb)} MiB | ${f(r.rssAvgMb)} MiB | ${f(r.rssFirstMinMb)} → ${f(r.rssLastMinMb)} MiB | ${f(r.slopeMbPerHour, 1)}; ${f(r.slopeSettledMbPerHour, 1)} MiB/h | ${f(r.anonLastMinMb)} + ${f(r.fileLastMinMb)} MiB | ${f(r.cpuPct, 2)} % | ${f(r.cpuWithProbesPct, 2)} % | ${f(r.startupMs / 1000)} s |`).join("\n")}
${
  results.some((r) => r.mem)
    ? `\nprocess.memoryUsage() (BENCH_MEMTRACE=1), MiB, 1st min → last min:\n\n| variant | heapTotal | heapUsed | external | arrayBuffers |\n|---|---|---|---|---|\n${results
        .filter((r) => r.mem)
        .map((r) => {
          const m = r.mem as { first: Mem; last: Mem };
          return `| ${r.variant} | ${f(m.first.heapTotal, 2)} → ${f(m.last.heapTotal, 2)} | ${f(m.first.heapUsed, 2)} → ${f(m.last.heapUsed, 2)} | ${f(m.first.external, 2)} → ${f(m.last.external, 2)} | ${f(m.first.arrayBuffers, 2)} → ${f(m.last.arrayBuffers, 2)} |`;
        })
        .join("\n")}\n`
    : ""
}

Machine: ${cpus()[0]?.model ?? "?"} × ${cpus().length}, ${f(totalmem() / 2 ** 30)} GiB RAM, Linux ${release()}, Node ${process.version}.
Run on ${new Date().toISOString().slice(0, 10)} with \`npm run bench:agent\` (BENCH_MINUTES=${MINUTES}).
`;
  // Hand-written analysis below NOTES_MARKER in the results file survives a re-run.
  const outFile = process.env["BENCH_OUT"] ?? join(REPO, "bench/results/agent.md");
  const previous = await readFile(outFile, "utf8").catch(() => "");
  const notes = previous.includes(NOTES_MARKER) ? previous.slice(previous.indexOf(NOTES_MARKER)) : "";
  await writeFile(outFile, notes ? `${md}\n${notes}` : md);
  process.stdout.write(md);
}

await main();
