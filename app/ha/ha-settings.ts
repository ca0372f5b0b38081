/** The engine config's `ha:` section, resolved: shards, and leader election with client-go's defaults. */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { LEASE_DEFAULTS, timingsProblem, type LeaseTimings } from "../../engine/ha/index.ts";
import { BosunError } from "../../engine/index.ts";

export interface HaConfig {
  /** Fleet objects are split over this many shards, each led by one replica (default 1). */
  readonly shards?: number;
  readonly leaderElection?: {
    /** Namespace of the Leases (default: kubernetes.stateNamespace, else bosun-system). */
    readonly namespace?: string;
    /** Name prefix of the Leases (default `bosun`): `<prefix>-shard-<n>`, `<prefix>-replica-<id>`. */
    readonly leaseName?: string;
    /** This replica's identity (default: $POD_NAME or the host name, plus a random suffix per process). */
    readonly identity?: string;
    readonly leaseDurationMs?: number;
    readonly renewDeadlineMs?: number;
    readonly retryPeriodMs?: number;
  };
}

export interface HaSettings {
  readonly shards: number;
  readonly namespace: string;
  readonly prefix: string;
  readonly identity: string;
  readonly timings: LeaseTimings;
}

export function haSettings(
  ha: HaConfig | undefined,
  stateNamespace: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): HaSettings | undefined {
  if (!ha) return undefined;
  const le = ha.leaderElection ?? {};
  const timings: LeaseTimings = {
    leaseDurationMs: le.leaseDurationMs ?? LEASE_DEFAULTS.leaseDurationMs,
    renewDeadlineMs: le.renewDeadlineMs ?? LEASE_DEFAULTS.renewDeadlineMs,
    retryPeriodMs: le.retryPeriodMs ?? LEASE_DEFAULTS.retryPeriodMs,
  };
  const problem = timingsProblem(timings);
  if (problem)
    throw new BosunError(
      "engine config ha.leaderElection",
      `${problem} (lease ${timings.leaseDurationMs} ms, renew deadline ${timings.renewDeadlineMs} ms, ` +
        `retry ${timings.retryPeriodMs} ms); client-go's defaults are 15000/10000/2000`,
      { code: "ENGINE_CONFIG" },
    );
  const base = le.identity ?? `${env["POD_NAME"] ?? hostname()}_${randomUUID().slice(0, 8)}`;
  return {
    shards: ha.shards ?? 1,
    namespace: le.namespace ?? stateNamespace ?? "bosun-system",
    prefix: le.leaseName ?? "bosun",
    identity: base,
    timings,
  };
}
