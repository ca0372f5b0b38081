import { setMaxListeners } from "node:events";
import { parseArgs } from "node:util";
import { ExitCode, type Command } from "../engine/cli/command.ts";
import { createLogger } from "../engine/log/logger.ts";
import { UsageError } from "../engine/model/errors.ts";
import { readEngineConfig } from "./engine-config.ts";
import { startEngine } from "./engine.ts";

// Hundreds of concurrent requests listen on one AbortSignal at fleet scale: not a leak.
setMaxListeners(0);

export const serveCommand: Command = {
  name: "serve",
  summary: "run the engine: poll the fleet repo, reconcile, roll out, write status back",
  usage: `Usage: bosun serve --config FILE

Runs the long-lived engine: triggers (poll interval with jitter, cron, signed webhook), the
reconcile loop against Kubernetes, status commits to the fleet repo, and the HTTP endpoints
/metrics (Prometheus), /healthz and /readyz. SIGTERM or SIGINT stops it gracefully: the pass in
flight finishes its writes first.

The config file (YAML) names the repo (git.repo.url, ref, mirrorDir, credentials from env or a
file), triggers (git.poll, git.cron, git.webhook), the cluster (kubernetes.kubeconfig, qps, burst)
and listen.host/port. See README.md.

Options:
  --config FILE   engine config (required)
  -h, --help      show this help

Exit codes: 0 after a clean shutdown, 1 when the engine cannot start, 2 usage error.`,
  async run({ args, stderr }) {
    const { values } = parseArgs({ args: [...args], options: { config: { type: "string" } } });
    if (!values.config) throw new UsageError("bosun serve", "--config FILE is required");
    const config = await readEngineConfig(values.config);
    const logger = createLogger({ ...(config.log?.level ? { level: config.log.level } : {}) });
    const engine = await startEngine(config, logger);
    stderr.write(`bosun: serving; metrics at ${engine.url}/metrics\n`);
    await new Promise<void>((resolve) => {
      const stop = (signal: string): void => {
        logger.info({ signal }, "shutting down: finishing the pass in flight");
        engine.stop().then(resolve, resolve);
      };
      process.once("SIGTERM", () => stop("SIGTERM"));
      process.once("SIGINT", () => stop("SIGINT"));
    });
    return ExitCode.Ok;
  },
};
