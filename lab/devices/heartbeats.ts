/**
 * Heartbeat leases of the reachable simulated devices (I/O): one server-side apply per renewal
 * (creates the lease the first time), first a pass over all devices, then each device renews once
 * per interval at its own offset, so the load is flat.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import type { Logger } from "../../engine/log/logger.ts";
import { errorMessage } from "./errors.ts";
import { leaseObject, renewOffsetMs, type HeartbeatPlan } from "./lease.ts";
import type { Pool } from "./pool.ts";

export interface HeartbeatStats {
  renewals: number;
  errors: number;
}

export interface HeartbeatOptions {
  readonly client: KubeClient;
  readonly namespace: string;
  /** Names of the devices that renew (reachable ones only). */
  readonly devices: () => readonly string[];
  readonly plan: HeartbeatPlan;
  readonly pool: Pool;
  readonly log: Logger;
  readonly now?: () => number;
}

export async function runHeartbeats(opts: HeartbeatOptions, stats: HeartbeatStats, signal: AbortSignal): Promise<void> {
  const now = opts.now ?? Date.now;
  const acquiredAt = now();
  let lastError = 0;
  const renew = (device: string): Promise<void> =>
    opts.pool.run(async () => {
      if (signal.aborted) return;
      try {
        await opts.client.apply(leaseObject(device, opts.namespace, opts.plan.durationSeconds, acquiredAt, now()), {
          fieldManager: "bosun-device-sim",
          force: true,
          signal,
        });
        stats.renewals++;
      } catch (err) {
        if (signal.aborted) return;
        stats.errors++;
        if (now() - lastError > 10_000) {
          lastError = now();
          opts.log.warn(
            { device, err: errorMessage(err) },
            "lease renewal failed (further failures within 10 s not logged)",
          );
        }
      }
    });
  // First pass: every device gets its lease as fast as the rate limit allows.
  await Promise.all(opts.devices().map(renew));
  // Then the steady spread; half an interval first keeps every gap under 1.5 intervals.
  await sleep(opts.plan.intervalMs / 2, undefined, { signal }).catch(() => undefined);
  while (!signal.aborted) {
    const start = now();
    const devices = opts.devices();
    const inflight: Promise<void>[] = [];
    for (let i = 0; i < devices.length && !signal.aborted; i++) {
      const wait = start + renewOffsetMs(i, devices.length, opts.plan.intervalMs) - now();
      if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => undefined);
      const d = devices[i];
      if (d !== undefined && !signal.aborted) inflight.push(renew(d));
      if (inflight.length >= 256) await Promise.all(inflight.splice(0));
    }
    await Promise.all(inflight);
    const rest = start + opts.plan.intervalMs - now();
    if (rest > 0) await sleep(rest, undefined, { signal }).catch(() => undefined);
  }
}
