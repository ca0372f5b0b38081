import type { TargetState } from "../../rollout/index.ts";
import type { LiveProcess } from "./live-process.ts";

/**
 * How a device stands for a rollout (the generic `TargetState` of engine/rollout):
 * - `ready`: running and healthy (available);
 * - `failed`: the agent reports Failed, or a running process that fails its health checks;
 * - `pending`: on its way (downloading, starting, no health verdict yet, or the agent has not
 *   reported on the current spec: status.observedGeneration behind metadata.generation);
 * - `missing`: no DeviceProcess yet;
 * - `unreachable`: the device's heartbeat is stale: neither failed nor ready.
 */
export type DeviceState = TargetState;

export function deviceState(live: LiveProcess | undefined, reachable: boolean): DeviceState {
  if (!reachable) return "unreachable";
  if (!live) return "missing";
  if (!live.observed) return "pending";
  // Healthy=False while not yet running (downloading, starting) is progress, not failure.
  if (live.phase === "Failed" || (live.phase === "Running" && live.healthy === false)) return "failed";
  if (live.phase === "Running" && live.healthy === true) return "ready";
  return "pending";
}

/** Device heartbeats (Lease renew times, ms since epoch) and how old one may be. */
export interface Heartbeats {
  readonly renewedAt: ReadonlyMap<string, number>;
  readonly staleAfterMs: number;
  readonly now: number;
}

/** Without heartbeat data every device counts as reachable; with it, a missing or old lease does not. */
export function reachability(heartbeats: Heartbeats | undefined): (device: string) => boolean {
  if (!heartbeats) return () => true;
  return (device) => {
    const at = heartbeats.renewedAt.get(device);
    return at !== undefined && heartbeats.now - at <= heartbeats.staleAfterMs;
  };
}
