/**
 * TenantClusters at scale (issue 19): TENANTS tenant clusters × WORKERS workers, driven by the real
 * engine (`bosun serve`, its own process) against the real lab kube-apiserver (records, TCPs,
 * inventory, Events), the lab Kamaji and the lab Proxmox (simulated workers that join with bootstrap
 * tokens, CSRs, Nodes and Leases).
 *
 * Light mode, said plainly: 50 real tenant apiservers (~300 MB each) do not fit this machine, so the
 * lab Kamaji serves every TenantControlPlane from ONE shared tenant kube-apiserver (+ controller-
 * manager); each tenant still gets its own TCP, status, admin kubeconfig Secret and endpoint record,
 * and its workers join that apiserver as Nodes named after their VMs. The lab Proxmox runs its
 * guests in-process (no child process per VM).
 *
 * Measures: time from engine start to every TenantCluster Ready (all Nodes Ready), Proxmox requests
 * per cluster (to Ready, and per unchanged pass afterwards), the engine's peak and settled RSS.
 *
 *   node --import tsx bench/tenant-clusters.ts          # TENANTS=50 WORKERS=3
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { KubeClient } from "../clients/kubernetes/client.ts";
import { loadKubeConfig } from "../clients/kubernetes/config.ts";
import { createBareRepo, startGitServer, WorkTree } from "../lab/git-server/index.ts";
import { startLabKamaji } from "../lab/kamaji/index.ts";
import { startKubeEnv } from "../lab/kube/kube-env.ts";
import { startLabProxmox } from "../lab/proxmox/index.ts";
import { waitEstablished } from "../sinks/kubernetes/index.ts";

const TENANTS = Number(process.env["TENANTS"] ?? 50);
const WORKERS = Number(process.env["WORKERS"] ?? 3);
const OUT = process.env["BENCH_OUT"] ?? join(import.meta.dirname, "results", "tenant-clusters.md");
const root = join(import.meta.dirname, "..");
const NS = "tenants";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const rssMiB = (pid: number, field: "VmRSS" | "VmHWM"): number => {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
};

function tenantYaml(i: number): string {
  return `apiVersion: fleet.bosun.dev/v1alpha1
kind: TenantCluster
metadata:
  name: t${String(i).padStart(3, "0")}
  namespace: ${NS}
spec:
  controlPlane:
    version: v1.30.2
  workers:
    count: ${WORKERS}
    cores: 1
    memoryMiB: 512
    diskGiB: 10
    template:
      vmid: 9000
      node: pve1
`;
}

async function main(): Promise<void> {
  const stops: (() => Promise<unknown>)[] = [];
  const started = Date.now();
  const say = (s: string): void => void process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${s}\n`);
  try {
    const env = await startKubeEnv({});
    stops.push(() => env.stop());
    const client = new KubeClient(loadKubeConfig({ kubeconfigPath: env.kubeconfigPath }), { qps: 200, burst: 400 });
    stops.push(async () => client.close());
    const crd = parse(readFileSync(join(root, "deploy/crds/fleet.bosun.dev_tenantclusters.yaml"), "utf8")) as Record<
      string,
      unknown
    >;
    await client.apply(crd, { fieldManager: "bench", force: true });
    await waitEstablished(client, "tenantclusters.fleet.bosun.dev");
    await client.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: NS } }, { fieldManager: "bench" });
    const kamaji = await startLabKamaji({ kube: env, sharedApiServer: true, pollMs: 500 });
    stops.push(() => kamaji.stop());
    const dir = await mkdtemp(join(tmpdir(), "bosun-tc-bench-"));
    stops.push(() => rm(dir, { recursive: true, force: true }));
    const pve = await startLabProxmox({
      stateDir: join(dir, "pve"),
      workerMode: "in-process",
      heartbeatMs: 10_000,
      nodes: ["pve1", "pve2", "pve3", "pve4"].map((name) => ({ name, cores: 64, memoryMiB: 262_144 })),
    });
    stops.push(() => pve.stop());
    const gitRoot = join(dir, "git");
    const server = await startGitServer({ root: gitRoot });
    stops.push(() => server.stop());
    await createBareRepo(gitRoot, "fleet");
    const tree = await WorkTree.open(`${server.url}/fleet.git`);
    stops.push(() => tree.dispose());
    const files: Record<string, string> = {
      "bosun.yaml": `apiVersion: bosun.dev/v1alpha1\nkind: BosunConfig\ndefaults:\n  namespace: ${NS}\n`,
    };
    for (let i = 0; i < TENANTS; i++) files[`tenants/t${String(i).padStart(3, "0")}.yaml`] = tenantYaml(i);
    await tree.commitAndPush("main", files, `${TENANTS} tenants`);
    const tokenFile = join(dir, "pve-token");
    await writeFile(tokenFile, pve.tokens.admin.secret, { mode: 0o600 });
    const config = {
      git: {
        repo: { url: `${server.url}/fleet.git`, ref: "main", mirrorDir: join(dir, "mirror") },
        poll: { intervalMs: 5000 },
      },
      kubernetes: { kubeconfig: env.kubeconfigPath, qps: 100, burst: 200 },
      engine: { requeueMs: 1000 },
      listen: { host: "127.0.0.1", port: 0 },
      backends: {
        tenantClusters: {
          proxmox: {
            url: pve.url,
            caFile: pve.caFile,
            token: { id: pve.tokens.admin.tokenId, secretFile: tokenFile },
            taskPollMs: 250,
          },
          snippets: { storage: "snippets", dir: pve.snippetsDir },
        },
      },
    };
    const configFile = join(dir, "engine.yaml");
    await writeFile(configFile, stringify(config));
    pve.resetRequestCounts();
    say(`lab up; starting the engine for ${TENANTS} tenants × ${WORKERS} workers`);
    const t0 = Date.now();
    const child = spawn(process.execPath, [join(root, "bin/bosun.mjs"), "serve", "--config", configFile], {
      cwd: root,
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, BOSUN_LOG_LEVEL: "warn" },
    });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-4000)));
    stops.push(
      () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGTERM");
        }),
    );
    const pid = child.pid as number;
    let peak = 0;
    let readyAt = 0;
    let lastLine = "";
    const deadline = Date.now() + 30 * 60_000;
    while (Date.now() < deadline) {
      peak = Math.max(peak, rssMiB(pid, "VmHWM"));
      const list = await client.list("fleet.bosun.dev/v1alpha1", "TenantCluster", { namespace: NS });
      const phases = new Map<string, number>();
      for (const o of list.items) {
        const p = String((o["status"] as { phase?: string } | undefined)?.phase ?? "none");
        phases.set(p, (phases.get(p) ?? 0) + 1);
      }
      const ready = phases.get("Ready") ?? 0;
      const line = [...phases].map(([p, n]) => `${p} ${n}`).join(", ");
      if (line !== lastLine) say(`${line}`);
      lastLine = line;
      if (ready === TENANTS) {
        readyAt = Date.now();
        break;
      }
      if (child.exitCode !== null) throw new Error(`engine exited ${child.exitCode}: ${stderr}`);
      await sleep(1000);
    }
    if (readyAt === 0) throw new Error(`not all Ready after 30 min: ${lastLine}; engine: ${stderr}`);
    const toReady = [...pve.requestCounts()].reduce((n, [, c]) => n + c, 0);
    const byPattern = [...pve.requestCounts()].sort((a, b) => b[1] - a[1]);
    const vms = pve.vms().filter((v) => !v.template);
    // Settled: one minute of unchanged passes.
    pve.resetRequestCounts();
    const settleMs = 60_000;
    await sleep(settleMs);
    const settledRequests = [...pve.requestCounts()].reduce((n, [, c]) => n + c, 0);
    const settledRss = rssMiB(pid, "VmRSS");
    peak = Math.max(peak, rssMiB(pid, "VmHWM"));
    const seconds = (readyAt - t0) / 1000;
    const cpu = cpus();
    const text = `# TenantClusters: ${TENANTS} tenants × ${WORKERS} workers

\`node --import tsx bench/tenant-clusters.ts\` (TENANTS=${TENANTS}, WORKERS=${WORKERS}), ${new Date().toISOString()}.

Machine: ${cpu.length} × ${cpu[0]?.model ?? "?"}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, shared with other
work (load average at the end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" / ")}). Engine: \`bosun serve\` through tsx (development mode), its own process.

**Light mode.** 50 real tenant kube-apiservers (~300 MB each) do not fit this machine: the lab Kamaji served
every TenantControlPlane from **one shared tenant kube-apiserver** (each TCP still has its own status,
admin kubeconfig Secret and endpoint; all ${TENANTS * WORKERS} worker Nodes register in that apiserver). The lab
Proxmox (4 nodes) ran its guests in-process. Engine settings: requeueMs 1000, Proxmox task poll 250 ms,
8 tenants driven at once per pass.

| measure | value |
|---|---|
| engine start → all ${TENANTS} TenantClusters Ready (${TENANTS * WORKERS} Nodes Ready) | ${seconds.toFixed(1)} s |
| worker VMs at the end (lab list) | ${vms.length} (${vms.filter((v) => v.status === "running").length} running) |
| Proxmox requests to Ready | ${toReady} (${(toReady / TENANTS).toFixed(1)} per cluster) |
| Proxmox requests per minute once settled | ${settledRequests} (${(settledRequests / TENANTS).toFixed(1)} per cluster) |
| engine RSS peak (VmHWM) | ${peak.toFixed(0)} MiB |
| engine RSS settled | ${settledRss.toFixed(0)} MiB |

Requests to Ready by path:

| request | count |
|---|---|
${byPattern.map(([k, v]) => `| \`${k}\` | ${v} |`).join("\n")}

Where the requests go: a pass reads one \`GET /cluster/resources\` shared by all tenants (dropped on every
write, so a tenant's next round sees its own clone), and per tenant one config per worker (ownership is
proven by the VM description); the TCP, the record and the tenant's Nodes are Kubernetes reads, not counted
here. Settled passes repeat those reads and write nothing.
`;
    await writeFile(OUT, text);
    process.stdout.write(text);
  } finally {
    for (const stop of stops.reverse()) await stop().catch((e: unknown) => say(`stop failed: ${String(e)}`));
  }
}

void main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
