/**
 * The device simulator as a process: `node --import tsx lab/devices/cli.ts --kubeconfig FILE ...`
 * (see cli-args.ts for the options). Runs until SIGINT/SIGTERM; logs stats periodically.
 */
import { KubeClient } from "../../clients/kubernetes/client.ts";
import { loadKubeConfig } from "../../clients/kubernetes/config.ts";
import { isKubeApiError } from "../../clients/kubernetes/errors.ts";
import { createLogger } from "../../engine/log/logger.ts";
import { parseCliArgs, USAGE } from "./cli-args.ts";
import { installDeviceCrds } from "./crds.ts";
import { errorMessage, SimulatorError } from "./errors.ts";
import { startSimulator } from "./simulator.ts";

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const log = createLogger().child({ component: "device-sim" });
  let args;
  try {
    args = parseCliArgs(argv);
  } catch (err) {
    process.stderr.write(`${errorMessage(err)}\n${USAGE}\n`);
    return 2;
  }
  const kc = loadKubeConfig({
    kubeconfigPath: args.kubeconfig,
    ...(args.context !== undefined ? { context: args.context } : {}),
  });
  const client = new KubeClient(kc, { qps: args.qps, burst: args.burst, userAgent: "bosun-device-sim" });
  const abort = new AbortController();
  const stop = (): void => abort.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    if (args.installCrds)
      log.info({ crds: await installDeviceCrds(client, { signal: abort.signal }) }, "CRDs installed");
    if (args.createNamespace) {
      try {
        await client.create(
          { apiVersion: "v1", kind: "Namespace", metadata: { name: args.namespace } },
          { signal: abort.signal },
        );
      } catch (err) {
        if (!(isKubeApiError(err) && err.statusCode === 409)) throw err;
      }
    }
    const sim = await startSimulator({
      client,
      namespace: args.namespace,
      devices: args.devices,
      seed: args.seed,
      delayMs: args.delayMs,
      ...(args.failure.length > 0 ? { failure: args.failure } : {}),
      unreachableShare: args.unreachableShare,
      heartbeats: args.heartbeats,
      log,
      signal: abort.signal,
    });
    const timer =
      args.statsEverySeconds > 0
        ? setInterval(() => log.info(sim.stats(), "device simulator stats"), args.statsEverySeconds * 1000)
        : undefined;
    await new Promise<void>((resolve) => abort.signal.addEventListener("abort", () => resolve(), { once: true }));
    if (timer) clearInterval(timer);
    await sim.stop();
    log.info(sim.stats(), "device simulator stopped");
    return 0;
  } catch (err) {
    if (abort.signal.aborted) return 0;
    log.error(
      {
        err: errorMessage(err),
        code: err instanceof SimulatorError ? err.code : undefined,
        cause: err instanceof Error && err.cause !== undefined ? errorMessage(err.cause) : undefined,
      },
      "device simulator failed",
    );
    return 1;
  } finally {
    client.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
