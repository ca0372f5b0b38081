/**
 * Restart decisions (pure): restartPolicy × how the process ended, and the back-off between
 * restarts (doubling, capped; like a kubelet's CrashLoopBackOff).
 */
import type { RestartPolicy } from "../model.ts";

export interface Termination {
  /** Exit code when known. */
  exitCode?: number;
  /** Signal name when killed by a signal. */
  signal?: string;
  /** The agent killed it because its health check failed. */
  healthCheckFailed?: boolean;
}

export function shouldRestart(policy: RestartPolicy, t: Termination): boolean {
  if (policy === "Never") return false;
  if (policy === "Always") return true;
  // OnFailure: anything but a clean exit 0 is a failure (unknown exit counts as failure).
  return t.healthCheckFailed === true || t.exitCode !== 0;
}

/** A short human-readable reason, written to status.lastTerminationReason. */
export function terminationReason(t: Termination): string {
  if (t.healthCheckFailed) return "HealthCheckFailed";
  if (t.signal) return `Signal ${t.signal}`;
  if (t.exitCode === 0) return "Completed";
  if (t.exitCode !== undefined) return `Error: exit code ${t.exitCode}`;
  return "Exited (exit code unknown: the process ended while the agent was not its parent)";
}

export function isSuccess(t: Termination): boolean {
  return t.exitCode === 0 && !t.signal && !t.healthCheckFailed;
}

export interface BackoffConfig {
  baseMs: number;
  maxMs: number;
}
export const DEFAULT_RESTART_BACKOFF: BackoffConfig = { baseMs: 1_000, maxMs: 60_000 };

/** Delay before restart number `restartCount + 1`: base, 2·base, 4·base … capped at max. */
export function restartDelay(restartCount: number, cfg: BackoffConfig = DEFAULT_RESTART_BACKOFF): number {
  const exp = Math.min(restartCount, 30);
  return Math.min(cfg.maxMs, cfg.baseMs * 2 ** exp);
}
