/**
 * The device simulator: creates the inventory of N devices and plays their agents (DeviceProcess
 * status, heartbeat leases) in one process. See README.md.
 */
import { setMaxListeners } from "node:events";
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import { createLogger, type Logger } from "../../engine/log/logger.ts";
import { Agents, type AgentStats } from "./agents.ts";
import { checkDelay, compileFailure, isUnreachable, type DelayRange, type Failure } from "./decide.ts";
import { deviceLabels, generateFleet, type FleetSpec, type SimDevice } from "./fleet.ts";
import { runHeartbeats, type HeartbeatStats } from "./heartbeats.ts";
import { createInventory, type InventoryResult } from "./inventory.ts";
import { heartbeatPlan, type HeartbeatPlan } from "./lease.ts";
import { Pool } from "./pool.ts";

export interface Device extends SimDevice {
  readonly labels: Readonly<Record<string, string>>;
  readonly unreachable: boolean;
}

export interface SimulatorOptions {
  readonly client: KubeClient;
  /** Default `infra-system`. */
  readonly namespace?: string;
  readonly devices: FleetSpec;
  readonly seed?: string | number;
  /** How long an agent takes to roll a process, jittered per device and spec (default [200, 800]). */
  readonly delayMs?: DelayRange;
  readonly failure?: Failure;
  /** Share of devices (0..1) that never report status nor renew their lease. */
  readonly unreachableShare?: number;
  /** Create the inventory objects (default true). */
  readonly createInventory?: boolean;
  /** Heartbeat leases (default true); interval/duration are raised to fit the client's QPS. */
  readonly heartbeats?:
    boolean | { readonly intervalMs?: number; readonly durationSeconds?: number; readonly budgetShare?: number };
  /** Requests in flight at once (default 32); the rate itself is the client's token bucket. */
  readonly concurrency?: number;
  readonly log?: Logger;
  readonly signal?: AbortSignal;
}

export interface SimulatorStats extends AgentStats {
  readonly devices: number;
  readonly unreachable: number;
  readonly inventory: InventoryResult;
  readonly leaseRenewals: number;
  readonly leaseErrors: number;
}

export interface Simulator {
  readonly devices: readonly Device[];
  readonly namespace: string;
  readonly heartbeat: HeartbeatPlan | undefined;
  stats(): SimulatorStats;
  /** Replaces the failure rules; processes whose outcome flips go Running ↔ Failed. */
  setFailure(failure: Failure | undefined): void;
  /** Stops watching, writing and renewing; resolves when the loops have ended. The client stays open. */
  stop(): Promise<void>;
}

/** Creates the inventory (awaited), starts the agents (awaited until the first list is handled) and the heartbeats. */
export async function startSimulator(opts: SimulatorOptions): Promise<Simulator> {
  const namespace = opts.namespace ?? "infra-system";
  const seed = opts.seed ?? 1;
  const delayMs = opts.delayMs ?? [200, 800];
  checkDelay(delayMs);
  const share = opts.unreachableShare ?? 0;
  const log = (opts.log ?? createLogger()).child({ component: "device-sim", namespace });
  const fleet = generateFleet(opts.devices);
  const devices: Device[] = fleet.map((d) => ({
    ...d,
    labels: deviceLabels(d),
    unreachable: isUnreachable(seed, d.name, share),
  }));
  const byName = new Map(devices.map((d) => [d.name, d]));
  const decide = compileFailure(opts.failure, seed);

  const abort = new AbortController();
  const onAbort = (): void => abort.abort(opts.signal?.reason);
  if (opts.signal?.aborted === true) throw opts.signal.reason;
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  const signal = abort.signal;
  setMaxListeners(0, signal); // one listener per in-flight play/request: thousands with a large fleet
  const pool = new Pool(opts.concurrency ?? 32);

  let inventory: InventoryResult = { created: 0, existing: 0 };
  if (opts.createInventory !== false)
    inventory = await createInventory(opts.client, fleet, { namespace, seed, concurrency: pool.size, signal, log });

  const agents = new Agents(
    {
      client: opts.client,
      namespace,
      seed,
      delayMs,
      pool,
      log,
      deviceLabels: (name) => byName.get(name)?.labels,
      unreachable: (name) => byName.get(name)?.unreachable === true,
    },
    decide,
  );
  const loops: Promise<void>[] = [agents.run(signal)];
  await Promise.race([agents.ready, loops[0]]);

  const hb: HeartbeatStats = { renewals: 0, errors: 0 };
  let plan: HeartbeatPlan | undefined;
  if (opts.heartbeats !== false) {
    const reachable = devices.filter((d) => !d.unreachable).map((d) => d.name);
    plan = heartbeatPlan(
      reachable.length,
      opts.client.rest.limiter.qps,
      typeof opts.heartbeats === "object" ? opts.heartbeats : {},
    );
    loops.push(
      runHeartbeats({ client: opts.client, namespace, devices: () => reachable, plan, pool, log }, hb, signal),
    );
  }
  log.info(
    { devices: devices.length, unreachable: devices.filter((d) => d.unreachable).length, heartbeat: plan },
    "device simulator running",
  );

  return {
    devices,
    namespace,
    heartbeat: plan,
    stats: () => ({
      ...agents.stats(),
      devices: devices.length,
      unreachable: devices.filter((d) => d.unreachable).length,
      inventory,
      leaseRenewals: hb.renewals,
      leaseErrors: hb.errors,
    }),
    setFailure: (failure) => agents.setFailure(compileFailure(failure, seed)),
    async stop() {
      opts.signal?.removeEventListener("abort", onAbort);
      abort.abort();
      await Promise.allSettled(loops);
    },
  };
}
