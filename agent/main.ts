/**
 * `bosun-agent`: the device agent CLI.
 *
 *   bosun-agent --device NAME --kubeconfig FILE [options]
 *   bosun-agent --device NAME --server URL --ca-file FILE --bootstrap-token ID.SECRET [options]
 *   bosun-agent rbac …           prints RBAC YAML (rbac/cli.ts)
 *   bosun-agent approve-csrs …   approves device CSRs, next to the engine (identity/approve-cli.ts)
 *
 * Exit codes: 0 after SIGTERM/SIGINT (processes keep running), 2 on bad usage, 1 on a fatal error.
 */
import { parseArgs } from "node:util";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Agent } from "./agent.ts";
import { errorMessage } from "./errors.ts";
import { createLogger, type Level } from "./log.ts";
import { KubeClient } from "./kube/client.ts";
import { loadKubeconfig, type KubeConnectionConfig } from "./kube/kubeconfig.ts";
import { DeviceIdentity } from "./identity/identity.ts";

export const USAGE = `usage: bosun-agent --device NAME (--kubeconfig FILE | --server URL --ca-file FILE --bootstrap-token ID.SECRET) [options]
       bosun-agent rbac [--shared] [--device NAME --namespace NS --deviceprocess NAME…]   (prints RBAC YAML)
       bosun-agent approve-csrs --kubeconfig FILE [--namespace NS]   (approves device CSRs; --help for more)
  --namespace NS             watch DeviceProcesses in this namespace only (default: all namespaces)
  --lease-namespace NS       namespace of the heartbeat Lease bosun-device-<device> (default: --namespace or bosun-system)
  --lease-interval SEC       heartbeat renew interval (default 10)
  --state-dir DIR            pid records, artifacts, logs, certificates (default /var/lib/bosun-agent)
  --allow-insecure-http      allow plain-HTTP artifact URLs and registries (default: HTTPS only)
  --artifact-ca-file FILE    extra CA for HTTPS artifact servers and registries
  --stop-timeout SEC         SIGTERM→SIGKILL grace period (default 10)
  --monitor-interval SEC     process liveness check period for exec/initd (default 1; systemd/container ≥ 5)
  --restart-backoff SEC      first restart delay, doubled per restart up to 60 s (default 1)
  --initd-dir DIR            where init scripts go (default /etc/init.d)
  --systemd-unit-dir DIR     where units go (default /etc/systemd/system)
  --container-cli CLI        podman | docker | nerdctl (default podman)
  --container-global-arg=A   repeatable, before the subcommand (e.g. --container-global-arg=--runtime --container-global-arg=runc)
  --container-run-arg=A      repeatable, added to \`run\` (e.g. --container-run-arg=--network=none)
  --cert-dir DIR             client certificate and key from the CSR (default <state-dir>/pki)
  --log-level LEVEL          debug | info | warn | error (default info)`;

const num = (v: string | undefined, d: number): number => (v === undefined ? d : Number(v));

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === "rbac") {
    try {
      // Loaded only for this subcommand: it brings the `yaml` package, which the agent itself does not need.
      const { rbacMain } = await import("./rbac/cli.ts");
      return rbacMain(argv.slice(1));
    } catch (err) {
      process.stderr.write(`${errorMessage(err)}\n`);
      return 2;
    }
  }
  if (argv[0] === "approve-csrs") {
    // Loaded only for this subcommand: it runs next to the engine, never on a device.
    const { approveCsrsMain } = await import("./identity/approve-cli.ts");
    return approveCsrsMain(argv.slice(1));
  }
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        device: { type: "string" },
        kubeconfig: { type: "string" },
        server: { type: "string" },
        "ca-file": { type: "string" },
        "bootstrap-token": { type: "string" },
        namespace: { type: "string" },
        "lease-namespace": { type: "string" },
        "lease-interval": { type: "string" },
        "state-dir": { type: "string" },
        "allow-insecure-http": { type: "boolean" },
        "artifact-ca-file": { type: "string" },
        "stop-timeout": { type: "string" },
        "monitor-interval": { type: "string" },
        "restart-backoff": { type: "string" },
        "initd-dir": { type: "string" },
        "systemd-unit-dir": { type: "string" },
        "container-cli": { type: "string" },
        "container-global-arg": { type: "string", multiple: true },
        "container-run-arg": { type: "string", multiple: true },
        "cert-dir": { type: "string" },
        "log-level": { type: "string" },
        help: { type: "boolean" },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`${errorMessage(err)}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const device = values.device;
  if (
    !device ||
    !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(device) ||
    (!values.kubeconfig && !(values["bootstrap-token"] && values.server))
  ) {
    process.stderr.write(
      `--device (a DNS-1123 name) and --kubeconfig or --server with --bootstrap-token are required\n${USAGE}\n`,
    );
    return 2;
  }
  const log = createLogger({
    level: (values["log-level"] ?? "info") as Level,
    base: { component: "bosun-agent", device },
  });
  const stateDir = values["state-dir"] ?? "/var/lib/bosun-agent";
  const ctrl = new AbortController();
  let identity: DeviceIdentity | undefined;
  try {
    let conn: KubeConnectionConfig;
    if (values["bootstrap-token"] && values.server) {
      identity = new DeviceIdentity({
        device,
        server: values.server,
        bootstrapToken: values["bootstrap-token"],
        log,
        certDir: values["cert-dir"] ?? join(stateDir, "pki"),
        ...(values["ca-file"] ? { ca: await readFile(values["ca-file"]) } : {}),
      });
      conn = await identity.ensure(ctrl.signal);
    } else {
      conn = await loadKubeconfig(values.kubeconfig ?? "");
    }
    const client = new KubeClient(conn);
    const namespace = values.namespace;
    const agent = new Agent({
      device,
      client,
      log,
      stateDir,
      ...(namespace ? { namespace } : {}),
      leaseNamespace: values["lease-namespace"] ?? namespace ?? "bosun-system",
      leaseIntervalMs: num(values["lease-interval"], 10) * 1000,
      allowInsecureHttp: values["allow-insecure-http"] === true,
      ...(values["artifact-ca-file"] ? { artifactTls: { ca: await readFile(values["artifact-ca-file"]) } } : {}),
      stopTimeoutSec: num(values["stop-timeout"], 10),
      monitorIntervalMs: num(values["monitor-interval"], 1) * 1000,
      restartBackoff: { baseMs: num(values["restart-backoff"], 1) * 1000, maxMs: 60_000 },
      artifactBackoff: { baseMs: 5_000, maxMs: 300_000 },
      ...(values["initd-dir"] ? { initdDir: values["initd-dir"] } : {}),
      ...(values["systemd-unit-dir"] ? { systemdUnitDir: values["systemd-unit-dir"] } : {}),
      container: {
        ...(values["container-cli"] ? { cli: values["container-cli"] } : {}),
        globalArgs: values["container-global-arg"] ?? [],
        runArgs: values["container-run-arg"] ?? [],
      },
    });
    identity?.renewInBackground(ctrl.signal, (renewed) => client.setCredentials(renewed));
    await agent.start();
    await new Promise<void>((resolve) => {
      const stop = (sig: string): void => {
        log.info(`received ${sig}; stopping the agent (processes keep running)`);
        resolve();
      };
      process.once("SIGTERM", () => stop("SIGTERM"));
      process.once("SIGINT", () => stop("SIGINT"));
    });
    ctrl.abort();
    await agent.stop();
    return 0;
  } catch (err) {
    log.error("fatal", { error: errorMessage(err) });
    ctrl.abort();
    return 1;
  }
}
