/**
 * `bosun-agent approve-csrs`: runs the device CSR approver (csr-approver.ts) until SIGTERM or
 * SIGINT. kube-controller-manager signs device CSRs (signer kubernetes.io/kube-apiserver-client)
 * but never approves them, so an operator runs this next to the engine, with credentials that may
 * approve; never on a device.
 */
import { parseArgs } from "node:util";
import { errorMessage } from "../errors.ts";
import { createLogger, type Level, type Logger } from "../log.ts";
import { KubeClient } from "../kube/client.ts";
import { loadKubeconfig } from "../kube/kubeconfig.ts";
import { runCsrApprover } from "./csr-approver.ts";

export const APPROVE_USAGE = `usage: bosun-agent approve-csrs --kubeconfig FILE [--namespace NS] [--log-level LEVEL]
Approves pending device CSRs (label bosun.dev/device) that pass the review (signer, usages, subject
CN=bosun-device:<device> O=bosun:devices, self-signature, requester is a bootstrap token or the device)
and name a device of the inventory; denies the others with the reason. Runs until SIGTERM/SIGINT.
  --kubeconfig FILE    credentials that may list/watch CSRs, update their approval and approve
                       signer kubernetes.io/kube-apiserver-client (see agent/README.md)
  --namespace NS       the inventory namespace: the device must exist there (default: any namespace)
  --log-level LEVEL    debug | info | warn | error (default info)
  -h, --help           show this help
Exit codes: 0 after SIGTERM/SIGINT, 1 on a fatal error (unreadable kubeconfig), 2 on bad usage.`;

const LEVELS: readonly string[] = ["debug", "info", "warn", "error"];

export interface ApproveCsrsIO {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Ends the approver; default: SIGTERM or SIGINT. */
  readonly stop?: AbortSignal;
  /** Default: JSON lines on stderr at --log-level. */
  readonly log?: Logger;
}

const processIO: ApproveCsrsIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Runs `bosun-agent approve-csrs ARGV`; resolves with the exit code. */
export async function approveCsrsMain(argv: readonly string[], io: ApproveCsrsIO = processIO): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        kubeconfig: { type: "string" },
        namespace: { type: "string" },
        "log-level": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }));
  } catch (err) {
    io.stderr(`${errorMessage(err)}\n${APPROVE_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    io.stdout(`${APPROVE_USAGE}\n`);
    return 0;
  }
  const level = values["log-level"] ?? "info";
  if (!values.kubeconfig || !LEVELS.includes(level) || values.namespace === "") {
    io.stderr(`--kubeconfig is required; --log-level is one of ${LEVELS.join(", ")}\n${APPROVE_USAGE}\n`);
    return 2;
  }
  const log = io.log ?? createLogger({ level: level as Level, base: { component: "bosun-csr-approver" } });
  let client: KubeClient;
  try {
    client = new KubeClient(await loadKubeconfig(values.kubeconfig));
  } catch (err) {
    log.error("fatal", { error: errorMessage(err) });
    return 1;
  }
  const { signal, release } = io.stop ? { signal: io.stop, release: () => undefined } : stopOnSignals(log);
  const namespace = values.namespace;
  log.info("CSR approver started", { server: client.serverUrl, inventory: namespace ?? "all namespaces" });
  try {
    const inventory = namespace !== undefined ? { inventoryNamespace: namespace } : {};
    await runCsrApprover({ client, log, signal, ...inventory });
  } finally {
    release();
    client.close();
  }
  log.info("CSR approver stopped");
  return 0;
}

/** An AbortSignal fired by the first SIGTERM or SIGINT; `release` removes the handlers. */
function stopOnSignals(log: Logger): { signal: AbortSignal; release: () => void } {
  const ctrl = new AbortController();
  const stop = (sig: NodeJS.Signals): void => {
    log.info(`received ${sig}; stopping the CSR approver`);
    ctrl.abort();
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  return {
    signal: ctrl.signal,
    release: () => {
      process.off("SIGTERM", stop);
      process.off("SIGINT", stop);
    },
  };
}
