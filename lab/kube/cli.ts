/**
 * `node --import tsx lab/kube/cli.ts up|down|status`
 *
 * up:     builds the binaries on first use, starts the lab env detached, prints KUBECONFIG.
 * down:   stops it (by PID) and removes its work dir.
 * status: prints whether it runs and where.
 * The CLI's env lives in `<cache>/kube-env` and is never reaped automatically.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { attachKubeEnv, startKubeEnv } from "./kube-env.ts";
import { cacheRoot } from "./paths.ts";
import { pidRunning } from "./proc.ts";
import { readState, statePath } from "./state.ts";

const workDir = join(cacheRoot(), "kube-env");

async function running(): Promise<boolean> {
  if (!existsSync(statePath(workDir))) return false;
  const s = await readState(workDir);
  return pidRunning(s.pids.apiserver, "kube-apiserver") && pidRunning(s.pids.etcd, "etcd");
}

async function main(cmd: string | undefined): Promise<number> {
  switch (cmd) {
    case "up": {
      if (await running()) {
        const s = await readState(workDir);
        process.stdout.write(`already running: ${s.server}\nexport KUBECONFIG=${s.kubeconfigPath}\n`);
        return 0;
      }
      if (existsSync(statePath(workDir))) await (await attachKubeEnv(workDir)).stop();
      const env = await startKubeEnv({ workDir, ownerPid: null, onProgress: (l) => process.stderr.write(`${l}\n`) });
      process.stdout.write(`running: ${env.server}\nexport KUBECONFIG=${env.kubeconfigPath}\n`);
      return 0;
    }
    case "down": {
      if (!existsSync(statePath(workDir))) {
        process.stdout.write("not running\n");
        return 0;
      }
      await (await attachKubeEnv(workDir)).stop();
      process.stdout.write("stopped\n");
      return 0;
    }
    case "status": {
      if (!(await running())) {
        process.stdout.write("not running\n");
        return 1;
      }
      const s = await readState(workDir);
      process.stdout.write(`running: ${s.server}\nexport KUBECONFIG=${s.kubeconfigPath}\n`);
      return 0;
    }
    default:
      process.stderr.write("usage: node --import tsx lab/kube/cli.ts up|down|status\n");
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
