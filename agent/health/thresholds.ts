/**
 * Health threshold state machine (pure): consecutive probe results against successThreshold and
 * failureThreshold, like a Kubernetes probe. Defaults as seed 004: period 30 s, timeout 5 s,
 * success 1, failure 3.
 */
import type { HealthCheckSpec } from "../model.ts";

export interface HealthConfig {
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
}

export function healthConfig(spec: HealthCheckSpec): HealthConfig {
  return {
    periodMs: (spec.periodSeconds ?? 30) * 1000,
    timeoutMs: (spec.timeoutSeconds ?? 5) * 1000,
    successThreshold: spec.successThreshold ?? 1,
    failureThreshold: spec.failureThreshold ?? 3,
  };
}

export type Health = "Unknown" | "Healthy" | "Unhealthy";

export interface HealthState {
  health: Health;
  successes: number;
  failures: number;
}

export const INITIAL_HEALTH: HealthState = { health: "Unknown", successes: 0, failures: 0 };

export interface ProbeOutcome {
  state: HealthState;
  /** Set when `health` changed with this probe. */
  transition?: "Healthy" | "Unhealthy";
}

export function recordProbe(state: HealthState, ok: boolean, cfg: HealthConfig): ProbeOutcome {
  const successes = ok ? state.successes + 1 : 0;
  const failures = ok ? 0 : state.failures + 1;
  let health = state.health;
  if (ok && health !== "Healthy" && successes >= cfg.successThreshold) health = "Healthy";
  if (!ok && health !== "Unhealthy" && failures >= cfg.failureThreshold) health = "Unhealthy";
  const next = { health, successes, failures };
  return health === state.health ? { state: next } : { state: next, transition: health as "Healthy" | "Unhealthy" };
}
