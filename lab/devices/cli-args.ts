/** Command-line arguments of the simulator CLI (pure). */
import { parseArgs } from "node:util";
import type { DelayRange, FailureRule } from "./decide.ts";
import { SimulatorError } from "./errors.ts";
import type { FleetSpec } from "./fleet.ts";

export const USAGE = `usage: node --import tsx lab/devices/cli.ts --kubeconfig FILE [options]
  --kubeconfig FILE        kubeconfig (required); --context NAME to pick a context
  --namespace NS           namespace of devices, processes and leases (default infra-system)
  --switches N --socs N --dpus N --bmcs N --servers N   fleet size per type
  --racks N --spines N     layout (default one rack per 20 devices, one spine per 20 switches)
  --seed S                 seed of every choice (default 1)
  --delay-ms MIN-MAX       how long an agent takes to roll a process (default 200-800)
  --fail-share X           share of devices (0..1) whose processes fail
  --fail-selector SEL      processes fail on devices matching SEL (e.g. sim.bosun.dev/fail=true)
  --fail-version V         processes fail on artifact version V (repeatable)
  --unreachable-share X    share of devices that never report nor renew their lease
  --qps N --burst N        client rate limit (default 50 / 100)
  --install-crds           apply deploy/crds/azure.com_*.yaml first
  --create-namespace       create the namespace when missing
  --no-heartbeats          no leases
  --stats-every SECONDS    log stats periodically (default 10; 0 = never)`;

export interface CliArgs {
  readonly kubeconfig: string;
  readonly context?: string;
  readonly namespace: string;
  readonly devices: FleetSpec;
  readonly seed: string;
  readonly delayMs: DelayRange;
  readonly failure: FailureRule[];
  readonly unreachableShare: number;
  readonly qps: number;
  readonly burst: number;
  readonly installCrds: boolean;
  readonly createNamespace: boolean;
  readonly heartbeats: boolean;
  readonly statsEverySeconds: number;
}

function num(
  name: string,
  v: string | undefined,
  fallback: number,
  opts: { integer?: boolean; max?: number } = {},
): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (
    v.trim() === "" ||
    !Number.isFinite(n) ||
    n < 0 ||
    (opts.integer === true && !Number.isInteger(n)) ||
    (opts.max !== undefined && n > opts.max)
  ) {
    throw new SimulatorError("InvalidArgs", `--${name}: invalid value ${JSON.stringify(v)}`);
  }
  return n;
}

export function parseCliArgs(argv: readonly string[]): CliArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        kubeconfig: { type: "string" },
        context: { type: "string" },
        namespace: { type: "string" },
        switches: { type: "string" },
        socs: { type: "string" },
        dpus: { type: "string" },
        bmcs: { type: "string" },
        servers: { type: "string" },
        racks: { type: "string" },
        spines: { type: "string" },
        seed: { type: "string" },
        "delay-ms": { type: "string" },
        "fail-share": { type: "string" },
        "fail-selector": { type: "string" },
        "fail-version": { type: "string", multiple: true },
        "unreachable-share": { type: "string" },
        qps: { type: "string" },
        burst: { type: "string" },
        "install-crds": { type: "boolean" },
        "create-namespace": { type: "boolean" },
        "no-heartbeats": { type: "boolean" },
        "stats-every": { type: "string" },
      },
    }));
  } catch (err) {
    throw new SimulatorError("InvalidArgs", err instanceof Error ? err.message : String(err), { cause: err });
  }
  if (values.kubeconfig === undefined) throw new SimulatorError("InvalidArgs", "--kubeconfig is required");
  const int = (k: "switches" | "socs" | "dpus" | "bmcs" | "servers" | "racks" | "spines"): Record<string, number> =>
    values[k] === undefined ? {} : { [k]: num(k, values[k], 0, { integer: true }) };
  const delay = values["delay-ms"] ?? "200-800";
  const m = /^(\d+)-(\d+)$/.exec(delay) ?? /^(\d+)$/.exec(delay);
  if (!m) throw new SimulatorError("InvalidArgs", `--delay-ms: expected MIN-MAX, got ${JSON.stringify(delay)}`);
  const min = Number(m[1]);
  const max = Number(m[2] ?? m[1]);
  if (max < min) throw new SimulatorError("InvalidArgs", `--delay-ms: max ${max} < min ${min}`);
  const failure: FailureRule[] = [];
  if (values["fail-share"] !== undefined)
    failure.push({ share: num("fail-share", values["fail-share"], 0, { max: 1 }) });
  if (values["fail-selector"] !== undefined) failure.push({ selector: values["fail-selector"] });
  if (values["fail-version"] !== undefined) failure.push({ versions: values["fail-version"] });
  return {
    kubeconfig: values.kubeconfig,
    ...(values.context !== undefined ? { context: values.context } : {}),
    namespace: values.namespace ?? "infra-system",
    devices: {
      ...int("switches"),
      ...int("socs"),
      ...int("dpus"),
      ...int("bmcs"),
      ...int("servers"),
      ...int("racks"),
      ...int("spines"),
    },
    seed: values.seed ?? "1",
    delayMs: [min, max],
    failure,
    unreachableShare: num("unreachable-share", values["unreachable-share"], 0, { max: 1 }),
    qps: num("qps", values.qps, 50),
    burst: num("burst", values.burst, 100, { integer: true }),
    installCrds: values["install-crds"] === true,
    createNamespace: values["create-namespace"] === true,
    heartbeats: values["no-heartbeats"] !== true,
    statsEverySeconds: num("stats-every", values["stats-every"], 10),
  };
}
