/**
 * `npm start`: the engine on fleet-repo-example with the local lab —
 * a real kube-apiserver (lab/kube), the real git server with the example fleet pushed into it
 * (lab/git-server), a few hundred simulated devices (lab/devices) — and the engine (`bosun serve`)
 * as its own child process (lab/demo/engine-process.ts), printing progress (waves, counts, status
 * commits). The lab supervises the engine: if it crashes, the lab keeps running and restarts it,
 * and the restarted engine resumes the rollout from live state. Ctrl-C stops everything.
 *
 * The lab folder (default ~/.cache/bosun/lab) is kept between runs: a second `npm start` reuses
 * the fleet repo and the clone with your commits; `npm start -- --fresh` deletes and recreates it.
 *
 * Options: --switches N --socs N --dpus N --bmcs N (device counts), --lab-dir DIR, --fresh, --workload-clusters
 * (WorkloadClusters through lab/capi and the KVM provider on libvirt).
 * BOSUN_LAB_KUBECONFIG=FILE uses an existing cluster instead of starting one.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { setMaxListeners } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { parse, stringify } from "yaml";
import { KubeClient } from "../../clients/kubernetes/client.ts";
import { loadKubeConfig } from "../../clients/kubernetes/config.ts";
import type { KubeObject } from "../../clients/kubernetes/types.ts";
import { createLogger } from "../../engine/log/logger.ts";
import { waitEstablished } from "../../sinks/kubernetes/wait.ts";
import { startSimulator, type Simulator } from "../devices/simulator.ts";
import { git, startGitServer, type GitServer } from "../git-server/index.ts";
import { startKubeEnv, type KubeEnv } from "../kube/kube-env.ts";
import { readState } from "../kube/state.ts";
import { startDemoFlightctl } from "../flightctl/index.ts";
import { startDemoFlintlock } from "../flintlock/index.ts";
import { startDemoTenants } from "../kamaji/index.ts";
import { startDemoWorkloadClusters } from "../capi/demo.ts";
import { seedFleetRepo } from "./fleet-repo.ts";

// Hundreds of concurrent requests listen on one AbortSignal at fleet scale: not a leak.
setMaxListeners(0);

const root = join(import.meta.dirname, "../..");
const say = (line: string): void => {
  process.stdout.write(`[lab] ${line}\n`);
};

/** What the lab started, for whoever has to check or clean up (`lab.json` in the lab folder). */
interface LabRecord {
  readonly pid: number;
  watchdogPid?: number;
  kubeWorkDir?: string;
  kubePids?: readonly number[];
  enginePids: number[];
}

async function installCrds(client: KubeClient): Promise<void> {
  const dir = join(root, "deploy/crds");
  for (const file of (await readdir(dir)).filter((f) => f.endsWith(".yaml")).sort()) {
    const crd = parse(await readFile(join(dir, file), "utf8")) as KubeObject;
    await client.apply(crd, { fieldManager: "bosun-lab", force: true });
    await waitEstablished(client, crd.metadata.name);
  }
}

/** The pid of a lab still running from `labDir`, if any. */
function runningLab(labDir: string): number | undefined {
  try {
    const record = JSON.parse(readFileSync(join(labDir, "lab.json"), "utf8")) as LabRecord;
    if (record.pid === process.pid) return undefined;
    const cmdline = readFileSync(`/proc/${record.pid}/cmdline`, "utf8");
    return cmdline.includes("lab/demo/start") ? record.pid : undefined;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      switches: { type: "string", default: "120" },
      socs: { type: "string", default: "80" },
      dpus: { type: "string", default: "40" },
      bmcs: { type: "string", default: "20" },
      fresh: { type: "boolean", default: false },
      "workload-clusters": { type: "boolean", default: false },
      "lab-dir": {
        type: "string",
        default: join(process.env["BOSUN_CACHE_DIR"] ?? join(homedir(), ".cache/bosun"), "lab"),
      },
    },
  });
  const labDir = values["lab-dir"];
  const other = runningLab(labDir);
  if (other !== undefined) {
    say(
      `a lab is already running from ${labDir} (pid ${other}); stop it (Ctrl-C in its terminal, or kill ${other}) ` +
        "or start another one with --lab-dir DIR",
    );
    process.exit(1);
  }
  const clone = join(labDir, "fleet");
  const bare = join(labDir, "git", "fleet.git");
  if (values.fresh && existsSync(labDir)) {
    say(`--fresh: deleting ${labDir} (the lab's fleet repo and the clone ${clone}, with any commits made there)`);
    await rm(labDir, { recursive: true, force: true });
  }
  const reuse = existsSync(bare) && existsSync(join(clone, ".git"));
  if (reuse)
    say(
      `reusing the lab in ${labDir}: the fleet repo and your clone ${clone} (with your commits) are kept; ` +
        "npm start -- --fresh starts over",
    );
  else if (existsSync(labDir)) {
    say(`${labDir} holds no complete lab; creating the fleet repo and clone again`);
    await rm(join(labDir, "git"), { recursive: true, force: true });
    await rm(clone, { recursive: true, force: true });
  }
  await mkdir(labDir, { recursive: true });
  // The mirror is a cache of the lab's git server, whose port changes every run.
  await rm(join(labDir, "mirror"), { recursive: true, force: true });
  const record: LabRecord = { pid: process.pid, enginePids: [] };
  const saveRecord = (): Promise<void> => writeFile(join(labDir, "lab.json"), JSON.stringify(record, null, 2));
  const watchdog = startWatchdog(labDir);
  if (watchdog !== undefined) record.watchdogPid = watchdog;
  await saveRecord();
  const logFile = join(labDir, "engine.log");
  const labLogger = createLogger({ level: "warn" });
  const stops: (() => Promise<unknown>)[] = [];
  let stopping = false;
  const shutdown = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    say("stopping…");
    if (record.watchdogPid !== undefined) {
      try {
        process.kill(record.watchdogPid, "SIGTERM"); // a clean stop: the watchdog has nothing to do
      } catch {
        // already gone
      }
    }
    for (const stop of stops.reverse()) await stop().catch((e: unknown) => say(`stop failed: ${String(e)}`));
    await rm(join(labDir, "lab.json"), { force: true });
    process.exit(code);
  };
  process.once("SIGINT", () => void shutdown(0));
  process.once("SIGTERM", () => void shutdown(0));

  try {
    let kubeconfig = process.env["BOSUN_LAB_KUBECONFIG"];
    let labKube: KubeEnv | undefined;
    if (!kubeconfig) {
      say(
        "1/5 Kubernetes: etcd + kube-apiserver + kube-controller-manager on 127.0.0.1 (first run builds them, several minutes)",
      );
      const env: KubeEnv = await startKubeEnv({ onProgress: (line) => say(`    ${line}`) });
      stops.push(() => env.stop());
      labKube = env;
      kubeconfig = env.kubeconfigPath;
      const state = await readState(env.workDir);
      record.kubeWorkDir = env.workDir;
      record.kubePids = [state.pids.etcd, state.pids.apiserver, state.pids.controllerManager];
      await saveRecord();
    } else say(`1/5 Kubernetes: using ${kubeconfig}`);
    const client = new KubeClient(loadKubeConfig({ kubeconfigPath: kubeconfig }), { qps: 100, burst: 200 });
    stops.push(async () => client.close());
    say("2/5 installing Bosun's CRDs (deploy/crds)");
    await installCrds(client);

    const server: GitServer = await startGitServer({ root: join(labDir, "git") });
    stops.push(() => server.stop());
    const url = `${server.url}/fleet.git`;
    if (reuse) {
      say(`3/5 git server with the lab's fleet repo (kept from the last run) at ${url}`);
      await git(["-C", clone, "remote", "set-url", "origin", url]);
    } else {
      say("3/5 git server with fleet-repo-example (plus approvals for its first release)");
      await seedFleetRepo(server, join(root, "fleet-repo-example"), labDir);
    }

    const spec = {
      switches: Number(values.switches),
      socs: Number(values.socs),
      dpus: Number(values.dpus),
      bmcs: Number(values.bmcs),
    };
    say(
      `4/5 device simulator: ${Object.entries(spec)
        .map(([k, v]) => `${v} ${k}`)
        .join(", ")} in infra-system`,
    );
    await client.apply(
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "infra-system" } },
      { fieldManager: "bosun-lab" },
    );
    const sim: Simulator = await startSimulator({
      client,
      namespace: "infra-system",
      devices: spec,
      seed: 1,
      delayMs: [300, 1500],
      log: labLogger,
    });
    stops.push(() => sim.stop());

    // FAR agents: two Flintlock hosts with QEMU microVMs (lab/flintlock); without QEMU the lab goes on without them.
    const flintlock = await startDemoFlintlock(join(labDir, "flintlock")).catch((error: unknown) => {
      say(`   FAR agents: no Flintlock hosts (${error instanceof Error ? error.message : String(error)})`);
      return undefined;
    });
    if (flintlock) {
      stops.push(() => flintlock.stop());
      say(`   Flintlock hosts ${flintlock.hosts.map((h) => h.name).join(", ")} (QEMU microVMs) for the FAR agents`);
    }

    // Tenant clusters: the lab Kamaji (a real tenant apiserver per TenantControlPlane, on the lab's etcd) and a lab
    // Proxmox whose VMs join it; only with the lab's own kube env.
    const tenants = labKube
      ? await startDemoTenants(join(labDir, "tenants"), labKube).catch((error: unknown) => {
          say(`   TenantClusters: no lab Kamaji/Proxmox (${error instanceof Error ? error.message : String(error)})`);
          return undefined;
        })
      : undefined;
    if (tenants) {
      stops.push(() => tenants.stop());
      say(
        `   lab Kamaji (tenant apiservers) and lab Proxmox ${tenants.proxmox.url} (pve-01..03) for the TenantClusters`,
      );
    }
    // WorkloadClusters (opt-in, --workload-clusters): this apiserver as management cluster, lab/capi, the KVM provider.
    const workloadClusters = values["workload-clusters"]
      ? await startDemoWorkloadClusters(join(labDir, "kvm"), kubeconfig).catch((error: unknown) => {
          say(`   WorkloadClusters: no KVM provider (${error instanceof Error ? error.message : String(error)})`);
          return undefined;
        })
      : undefined;
    if (workloadClusters) {
      stops.push(() => workloadClusters.stop());
      say(`   management cluster mgmt-a (this apiserver), lab/capi, KVM provider on libvirt for the WorkloadClusters`);
    }
    // Edge workloads: the lab Flightctl (simulated devices in fleet retail-stores, kiosks, the virtual node's devices).
    const flightctl = await startDemoFlightctl(join(labDir, "flightctl")).catch((error: unknown) => {
      say(`   EdgeWorkloads: no lab Flightctl (${error instanceof Error ? error.message : String(error)})`);
      return undefined;
    });
    if (flightctl) {
      stops.push(() => flightctl.stop());
      say(
        `   lab Flightctl ${flightctl.lab.url} (fleet retail-stores, kiosks, vk-flightctl-node) for the EdgeWorkloads`,
      );
    }
    const backends = {
      ...flintlock?.backends,
      ...tenants?.backends,
      ...workloadClusters?.backends,
      ...flightctl?.backends,
    };

    say("5/5 bosun serve (its own process; the lab restarts it if it dies)");
    const configFile = join(labDir, "engine.yaml");
    await writeFile(
      configFile,
      stringify({
        git: { repo: { url, ref: "main", mirrorDir: join(labDir, "mirror") }, poll: { intervalMs: 3000, jitter: 0.1 } },
        kubernetes: { kubeconfig, qps: 100, burst: 200 },
        engine: { requeueMs: 1000 },
        listen: { host: "127.0.0.1", port: 0 },
        ...(Object.keys(backends).length > 0 ? { backends } : {}),
      }),
    );
    const engine = superviseEngine({
      configFile,
      logFile,
      isStopping: () => stopping,
      onStart: (pid) => {
        record.enginePids.push(pid);
        void saveRecord();
      },
      onRolledOut: (metricsUrl) => {
        say(`  fleet repo clone:  ${clone}   (edit, commit, git push: see README "Try a rollout")`);
        say(`  kubectl:           KUBECONFIG=${kubeconfig} kubectl get deviceprocessdeployment -n infra-system`);
        say(`  metrics:           ${metricsUrl}/metrics    engine log: ${logFile}`);
      },
    });
    stops.push(() => engine.stop());
    say(`lab up: repo ${url}, kubeconfig ${kubeconfig}, lab folder ${labDir}`);
  } catch (error) {
    say(`failed: ${error instanceof Error ? error.message : String(error)}`);
    await shutdown(1);
  }
}

/**
 * The lab's children die with the lab: a small detached process watches the lab's pid and, should
 * the lab die without stopping them (SIGKILL, a crash), stops what `lab.json` records (the engine,
 * etcd, kube-apiserver, kube-controller-manager) and removes the kube env's folders. A clean stop
 * ends the watchdog first.
 */
function startWatchdog(labDir: string): number | undefined {
  const script = `
const { readFileSync, rmSync } = require("node:fs");
const labPid = Number(process.argv[1]);
const file = process.argv[2];
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
const ours = (pid) => { try { return /etcd|kube-|engine-process/.test(readFileSync("/proc/" + pid + "/cmdline", "utf8")); } catch { return false; } };
const timer = setInterval(() => {
  if (alive(labPid)) return;
  clearInterval(timer);
  let record = {};
  try { record = JSON.parse(readFileSync(file, "utf8")); } catch {}
  if (record.pid !== labPid) process.exit(0);
  const pids = [...(record.enginePids || []), ...(record.kubePids || [])].filter(ours);
  for (const pid of pids) { try { process.kill(pid, "SIGTERM"); } catch {} }
  setTimeout(() => {
    for (const pid of pids.filter(ours)) { try { process.kill(pid, "SIGKILL"); } catch {} }
    if (record.kubeWorkDir) {
      try { rmSync(JSON.parse(readFileSync(record.kubeWorkDir + "/state.json", "utf8")).etcdDataDir, { recursive: true, force: true }); } catch {}
      rmSync(record.kubeWorkDir, { recursive: true, force: true });
    }
    rmSync(file, { force: true });
    process.exit(0);
  }, 3000);
}, 500);
`;
  const child = spawn(process.execPath, ["-e", script, String(process.pid), join(labDir, "lab.json")], {
    detached: true,
    stdio: "ignore",
  });
  child.unref();
  return child.pid;
}

interface Supervisor {
  stop(): Promise<void>;
}

/**
 * Runs lab/demo/engine-process.ts and restarts it when it dies (not while the lab stops); gives
 * up after five crashes within ten seconds of their start, leaving the lab running.
 */
function superviseEngine(options: {
  configFile: string;
  logFile: string;
  isStopping: () => boolean;
  onStart: (pid: number) => void;
  onRolledOut: (metricsUrl: string) => void;
}): Supervisor {
  let child: ChildProcess | undefined;
  let quickCrashes = 0;
  let restart: NodeJS.Timeout | undefined;
  const start = (): void => {
    const startedAt = Date.now();
    const c = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join(import.meta.dirname, "engine-process.ts"),
        "--config",
        options.configFile,
        "--log",
        options.logFile,
      ],
      { cwd: root, stdio: ["ignore", "pipe", "pipe", "ipc"] },
    );
    child = c;
    if (c.pid !== undefined) options.onStart(c.pid);
    for (const stream of [c.stdout, c.stderr])
      if (stream) createInterface({ input: stream }).on("line", (line) => process.stdout.write(`[engine] ${line}\n`));
    c.on("message", (m: { type?: string; url?: string }) => {
      if (m.type === "rolled-out" && m.url) options.onRolledOut(m.url);
    });
    c.once("exit", (code, signal) => {
      if (child === c) child = undefined;
      if (options.isStopping()) return;
      quickCrashes = Date.now() - startedAt < 10_000 ? quickCrashes + 1 : 0;
      const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
      if (quickCrashes >= 5) {
        say(`the engine ${how}, the fifth time right after starting; not restarting it. See ${options.logFile}.`);
        say("the lab keeps running; fix the problem and run npm start again (Ctrl-C to stop the lab)");
        return;
      }
      say(`the engine ${how}; the lab keeps running; restarting the engine (it resumes from live state)`);
      restart = setTimeout(start, 1000);
    });
  };
  start();
  return {
    async stop() {
      if (restart) clearTimeout(restart);
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => c.once("exit", () => resolve()));
      c.kill("SIGTERM");
      const timer = setTimeout(() => c.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

await main();
