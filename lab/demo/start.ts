/**
 * `npm start`: the engine on fleet-repo-example with the local lab —
 * a real kube-apiserver (lab/kube), the real git server with the example fleet pushed into it
 * (lab/git-server), a few hundred simulated devices (lab/devices) — and `bosun serve` against
 * them, printing progress (waves, counts, status commits). Ctrl-C stops everything.
 *
 * Options: --switches N --socs N --dpus N --bmcs N (device counts), --lab-dir DIR.
 * BOSUN_LAB_KUBECONFIG=FILE uses an existing cluster instead of starting one.
 */
import { setMaxListeners } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parse } from "yaml";
import { startEngine, type RunningEngine } from "../../app/engine.ts";
import { KubeClient } from "../../clients/kubernetes/client.ts";
import { loadKubeConfig } from "../../clients/kubernetes/config.ts";
import type { KubeObject } from "../../clients/kubernetes/types.ts";
import { createLogger } from "../../engine/log/logger.ts";
import { waitEstablished } from "../../sinks/kubernetes/wait.ts";
import { startSimulator, type Simulator } from "../devices/simulator.ts";
import { startGitServer, type GitServer } from "../git-server/index.ts";
import { startKubeEnv, type KubeEnv } from "../kube/kube-env.ts";
import { seedFleetRepo } from "./fleet-repo.ts";
import { ProgressPrinter } from "./progress.ts";

// Hundreds of concurrent requests listen on one AbortSignal at fleet scale: not a leak.
setMaxListeners(0);

const root = join(import.meta.dirname, "../..");
const say = (line: string): void => {
  process.stdout.write(`[lab] ${line}\n`);
};

async function installCrds(client: KubeClient): Promise<void> {
  const dir = join(root, "deploy/crds");
  for (const file of (await readdir(dir)).filter((f) => f.endsWith(".yaml")).sort()) {
    const crd = parse(await readFile(join(dir, file), "utf8")) as KubeObject;
    await client.apply(crd, { fieldManager: "bosun-lab", force: true });
    await waitEstablished(client, crd.metadata.name);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      switches: { type: "string", default: "120" },
      socs: { type: "string", default: "80" },
      dpus: { type: "string", default: "40" },
      bmcs: { type: "string", default: "20" },
      "lab-dir": {
        type: "string",
        default: join(process.env["BOSUN_CACHE_DIR"] ?? join(homedir(), ".cache/bosun"), "lab"),
      },
    },
  });
  const labDir = values["lab-dir"];
  await rm(labDir, { recursive: true, force: true });
  await mkdir(labDir, { recursive: true });
  const logFile = join(labDir, "engine.log");
  const logger = createLogger({ destination: createWriteStream(logFile) });
  const stops: (() => Promise<unknown>)[] = [];
  let stopping = false;
  const shutdown = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    say("stopping…");
    for (const stop of stops.reverse()) await stop().catch((e: unknown) => say(`stop failed: ${String(e)}`));
    process.exit(code);
  };
  process.once("SIGINT", () => void shutdown(0));
  process.once("SIGTERM", () => void shutdown(0));

  try {
    let kubeconfig = process.env["BOSUN_LAB_KUBECONFIG"];
    if (!kubeconfig) {
      say(
        "1/5 Kubernetes: etcd + kube-apiserver + kube-controller-manager on 127.0.0.1 (first run builds them, several minutes)",
      );
      const env: KubeEnv = await startKubeEnv({ onProgress: (line) => say(`    ${line}`) });
      stops.push(() => env.stop());
      kubeconfig = env.kubeconfigPath;
    } else say(`1/5 Kubernetes: using ${kubeconfig}`);
    const client = new KubeClient(loadKubeConfig({ kubeconfigPath: kubeconfig }), { qps: 100, burst: 200 });
    stops.push(async () => client.close());
    say("2/5 installing Bosun's CRDs (deploy/crds)");
    await installCrds(client);

    say("3/5 git server with fleet-repo-example (plus approvals for its first release)");
    const server: GitServer = await startGitServer({ root: join(labDir, "git") });
    stops.push(() => server.stop());
    const repo = await seedFleetRepo(server, join(root, "fleet-repo-example"), labDir);

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
      log: logger,
    });
    stops.push(() => sim.stop());

    say("5/5 bosun serve");
    const engineRef: { current?: RunningEngine } = {};
    const printer = new ProgressPrinter(say, () => {
      say("the example fleet is fully rolled out; Bosun keeps serving (Ctrl-C to stop).");
      say(`  fleet repo clone:  ${repo.clone}   (edit, commit, git push: see README "Try a rollout")`);
      say(`  kubectl:           KUBECONFIG=${kubeconfig} kubectl get deviceprocessdeployment -n infra-system`);
      say(`  metrics:           ${engineRef.current?.url ?? ""}/metrics    engine log: ${logFile}`);
    });
    const engine = await startEngine(
      {
        git: {
          repo: { url: repo.url, ref: "main", mirrorDir: join(labDir, "mirror") },
          poll: { intervalMs: 3000, jitter: 0.1 },
        },
        kubernetes: { kubeconfig, qps: 100, burst: 200 },
        engine: { requeueMs: 1000 },
        listen: { host: "127.0.0.1", port: 0 },
      },
      logger,
      { onReport: (r) => printer.report(r), onPass: (o) => printer.pass(o) },
    );
    engineRef.current = engine;
    stops.push(() => engine.stop());
    say(`engine up: ${engine.url}/healthz, repo ${repo.url}`);
  } catch (error) {
    say(`failed: ${error instanceof Error ? error.message : String(error)}`);
    await shutdown(1);
  }
}

await main();
