import { setMaxListeners } from "node:events";
import { parseArgs } from "node:util";
import { readEngineConfigDocument, validateEngineConfig, type EngineConfig } from "./engine-config.ts";
import { startEngine } from "./engine.ts";
import { startVirtualNode } from "./virtual-node.ts";
import { ExitCode, type Command, createLogger, UsageError } from "../engine/index.ts";

/** After a fatal start-up error the process exits within this time even if a handle stays open. */
const FATAL_EXIT_MS = 500;

// Hundreds of concurrent requests listen on one AbortSignal at fleet scale: not a leak.
setMaxListeners(0);

export const serveCommand: Command = {
  name: "serve",
  summary: "run the engine: poll the fleet repo, reconcile, roll out, write status back",
  usage: `Usage: bosun serve --config FILE [--check]
       bosun serve --dir DIR (--kubeconfig FILE | --config FILE) [--status-dir DIR]

Runs the long-lived engine: triggers (poll interval with jitter, cron, signed webhook), the
reconcile loop against Kubernetes, status commits to the fleet repo, and the HTTP endpoints
/metrics (Prometheus), /healthz and /readyz. SIGTERM or SIGINT stops it gracefully: the pass in
flight finishes its writes first.

The config file (YAML, schema schemas/EngineConfig.json) is strict: an unknown or misspelt key,
a wrong type or an out-of-range value is an error with file:line:col, and the engine does not
start. --check validates the config and exits (0 valid, 1 invalid). Any fatal start-up problem
(config, credentials, kubeconfig, listen port, mirror folder) exits 1 with one line naming it.

The config file names the repo (git.repo.url, ref, mirrorDir, credentials from env or a
file), triggers (git.poll, git.cron, git.webhook), the cluster (kubernetes.kubeconfig, qps, burst)
and listen.host/port. See README.md. The webhook secret is git.webhook.secret, secretEnv (an
environment variable) or secretFile (a file) — exactly one.

--dir runs on a local working tree instead (development): a debounced watch triggers a pass on
every change; an invalid edit is not applied (the last good state stays, diagnostics are logged).
There is no remote, so no status commits: status documents go to --status-dir when given, else
only to the log. --dir replaces any git: section of --config.

Options:
  --config FILE       engine config (required unless --dir and --kubeconfig are given)
  --dir DIR           desired state from this working tree (engine config local.dir)
  --status-dir DIR    with --dir: write status documents to this folder (local.statusDir)
  --kubeconfig FILE   cluster to reconcile (overrides kubernetes.kubeconfig)
  --check             validate the config (with the flags above laid over it) and exit
  -h, --help          show this help

Exit codes: 0 after a clean shutdown (or a valid --check), 1 when the config is invalid or the
engine cannot start, 2 usage error.`,
  async run({ args, stdout, stderr }) {
    const { values } = parseArgs({
      args: [...args],
      options: {
        config: { type: "string" },
        dir: { type: "string" },
        "status-dir": { type: "string" },
        kubeconfig: { type: "string" },
        check: { type: "boolean", default: false },
      },
    });
    const config = await serveConfig(values);
    if (values.check) {
      stdout.write(`${values.config ?? "bosun serve --dir"}: the engine config is valid\n`);
      return ExitCode.Ok;
    }
    const logger = createLogger({ ...(config.log?.level ? { level: config.log.level } : {}) });
    let engine: Awaited<ReturnType<typeof startEngine>>;
    try {
      engine = await startEngine(config, logger);
    } catch (error) {
      // startEngine released what it opened; should anything still hold the process, exit anyway.
      setTimeout(() => process.exit(ExitCode.Failure), FATAL_EXIT_MS).unref();
      throw error;
    }
    const virtualNode = startVirtualNode(config, logger);
    stderr.write(`bosun: serving; metrics at ${engine.url}/metrics\n`);
    await new Promise<void>((resolve) => {
      const stop = (signal: string): void => {
        logger.info({ signal }, "shutting down: finishing the pass in flight");
        void (virtualNode?.stop() ?? Promise.resolve()).finally(() => engine.stop().then(resolve, resolve));
      };
      process.once("SIGTERM", () => stop("SIGTERM"));
      process.once("SIGINT", () => stop("SIGINT"));
    });
    return ExitCode.Ok;
  },
};

/** The engine config of `bosun serve`: --config, with --dir / --status-dir / --kubeconfig laid over it. */
async function serveConfig(values: {
  config?: string | undefined;
  dir?: string | undefined;
  "status-dir"?: string | undefined;
  kubeconfig?: string | undefined;
  check?: boolean | undefined;
}): Promise<EngineConfig> {
  if (!values.config && !values.dir)
    throw new UsageError("bosun serve", "--config FILE (or --dir DIR with --kubeconfig FILE) is required");
  if (values.dir && !values.config && !values.kubeconfig) {
    throw new UsageError(
      "bosun serve --dir",
      "needs the cluster to reconcile: --kubeconfig FILE, or --config FILE with kubernetes settings",
    );
  }
  if (values["status-dir"] && !values.dir)
    throw new UsageError(
      "bosun serve",
      "--status-dir only goes with --dir (set local.statusDir in the engine config instead)",
    );
  const read = values.config ? await readEngineConfigDocument(values.config) : undefined;
  let doc: Record<string, unknown> = read?.value ?? {};
  if (values.dir) {
    const { git: _replaced, local, ...rest } = doc;
    const base = typeof local === "object" && local !== null ? local : {};
    doc = {
      ...rest,
      local: { ...base, dir: values.dir, ...(values["status-dir"] ? { statusDir: values["status-dir"] } : {}) },
    };
  }
  if (values.kubeconfig) {
    const kube = typeof doc["kubernetes"] === "object" && doc["kubernetes"] !== null ? doc["kubernetes"] : {};
    doc = { ...doc, kubernetes: { ...kube, kubeconfig: values.kubeconfig } };
  }
  return validateEngineConfig({
    file: values.config ?? "bosun serve --dir",
    value: doc,
    ...(read?.parsed ? { parsed: read.parsed } : {}),
  });
}
