import { deviceState, type DeviceState } from "../device-process/health.ts";
import type { LiveProcess } from "../device-process/live-process.ts";
import { resolveMaxUnavailable, type Deployment } from "./deployment.ts";
import type { Placement } from "./expand.ts";

export type WaveState = "done" | "rolling" | "waiting-approval" | "paused" | "blocked";

export interface WaveProgress {
  readonly name: string;
  readonly approval: "required" | "auto";
  readonly state: WaveState;
  readonly total: number;
  readonly updated: number;
  readonly ready: number;
  readonly failed: number;
  readonly pending: number;
  readonly unreachable: number;
  /** Devices that would change in this wave (not yet on the revision). */
  readonly toUpdate: number;
}

export interface FailingDevice {
  readonly device: string;
  readonly wave: string;
  readonly state: "failed" | "unreachable";
  readonly reason: string;
}

export type RolloutPhase = "Complete" | "Progressing" | "WaitingForApproval" | "Paused";

/** One step of a rollout, derived from live state alone: a restarted engine computes the same. */
export interface RolloutStep {
  readonly revision: string;
  readonly phase: RolloutPhase;
  /** Why the rollout is not progressing (approval wanted, threshold missed), for status and events. */
  readonly message: string;
  readonly waves: readonly WaveProgress[];
  /** Placements to apply now at the current revision, in rollout order. */
  readonly toApply: readonly Placement[];
  /** Live processes of this deployment whose device no longer matches: delete them. */
  readonly toDelete: readonly string[];
  readonly maxUnavailable: number;
  readonly unavailable: number;
  /** The first failing/unreachable devices (at most `maxFailing`), with reasons. */
  readonly failing: readonly FailingDevice[];
  readonly failingTotal: number;
}

export interface RolloutInput {
  readonly deployment: Deployment;
  readonly placements: readonly Placement[];
  /** Live processes of this deployment by process name. */
  readonly live: ReadonlyMap<string, LiveProcess>;
  /** Waves approved for this deployment's current revision. */
  readonly approvedWaves: ReadonlySet<string>;
  readonly reachable: (device: string) => boolean;
  readonly maxFailing: number;
}

interface Counted {
  readonly placement: Placement;
  readonly updated: boolean;
  readonly state: DeviceState;
}

/**
 * Computes the next rollout step (DaemonSet-style RollingUpdate or Recreate, in ordered waves):
 * - a wave opens when every earlier wave is done and, if it requires approval, the approval for
 *   this revision is committed;
 * - a wave is done when each reachable device runs the revision and is settled, and the ready
 *   share meets the wave's success threshold; it pauses the rollout once failures make the
 *   threshold unreachable;
 * - RollingUpdate never takes more than maxUnavailable devices down: devices already unavailable
 *   (missing, failed, pending) are updated freely, available ones only within the budget;
 * - unreachable devices are skipped and neither counted as failed nor as ready.
 */
export function rolloutStep(input: RolloutInput): RolloutStep {
  const { deployment, placements, live } = input;
  const counted: Counted[] = placements.map((placement) => {
    const process = live.get(placement.processName);
    return { placement, updated: process?.revision === deployment.revision, state: deviceState(process, input.reachable(placement.device.name)) };
  });
  const maxUnavailable = resolveMaxUnavailable(deployment.maxUnavailable, placements.length);
  const unavailable = counted.filter((c) => c.state !== "ready" && c.state !== "unreachable").length;
  let budget = deployment.strategy === "Recreate" ? Number.POSITIVE_INFINITY : maxUnavailable - unavailable;

  const byWave = deployment.waves.map((): Counted[] => []);
  for (const c of counted) byWave[c.placement.wave]?.push(c);

  const waves: WaveProgress[] = [];
  const toApply: Placement[] = [];
  let gate: "open" | "closed" = "open";
  let phase = "Complete" as RolloutPhase;
  let message = `all devices run revision ${deployment.revision}`;
  deployment.waves.forEach((wave, index) => {
    const members = byWave[index] ?? [];
    const reachable = members.filter((c) => c.state !== "unreachable");
    const toUpdate = reachable.filter((c) => !c.updated);
    const onRevision = reachable.filter((c) => c.updated);
    const ready = onRevision.filter((c) => c.state === "ready").length;
    const failed = onRevision.filter((c) => c.state === "failed").length;
    const pending = onRevision.filter((c) => c.state === "pending" || c.state === "missing").length;
    const allowedFailures = Math.floor(reachable.length * (1 - wave.successThreshold) + 1e-9);
    let state: WaveState;
    if (gate === "closed") {
      state = "blocked";
    } else if (failed > allowedFailures) {
      state = "paused";
      phase = "Paused";
      message = `wave ${wave.name}: ${failed} of ${reachable.length} devices failed, over the ${Math.round(wave.successThreshold * 100)}% success threshold; fix the devices or the release, then push a new revision`;
    } else if (toUpdate.length > 0 && wave.approval === "required" && !input.approvedWaves.has(wave.name)) {
      state = "waiting-approval";
      phase = "WaitingForApproval";
      message = `wave ${wave.name} waits for approval of revision ${deployment.revision} (bosun approve DeviceProcessDeployment/${deployment.name} --wave ${wave.name})`;
    } else if (toUpdate.length === 0 && pending === 0) {
      state = "done";
    } else {
      state = "rolling";
      phase = "Progressing";
      message = `rolling out revision ${deployment.revision}: wave ${wave.name}`;
      if (!deployment.paused) {
        const down = toUpdate.filter((c) => c.state !== "ready");
        const up = toUpdate.filter((c) => c.state === "ready");
        toApply.push(...down.map((c) => c.placement));
        const take = Math.max(0, Math.min(up.length, budget));
        toApply.push(...up.slice(0, take).map((c) => c.placement));
        budget -= take;
      }
    }
    if (state !== "done") gate = "closed";
    waves.push({ name: wave.name, approval: wave.approval, state, total: members.length, updated: onRevision.length, ready, failed, pending, unreachable: members.length - reachable.length, toUpdate: toUpdate.length });
  });
  const left = counted.filter((c) => c.state === "unreachable" && !c.updated).length;
  if (phase === "Complete" && left > 0) message = `all reachable devices run revision ${deployment.revision}; ${left} unreachable device${left === 1 ? " does" : "s do"} not yet`;
  if (deployment.paused && phase === "Progressing") {
    phase = "Paused";
    message = "spec.paused is true";
  }

  const wanted = new Set(placements.map((p) => p.processName));
  const toDelete = [...live.keys()].filter((name) => !wanted.has(name)).sort();
  const failingAll = counted.filter((c) => c.state === "unreachable" || (c.updated && c.state === "failed"));
  const failing = failingAll.slice(0, input.maxFailing).map((c): FailingDevice => ({
    device: c.placement.device.name,
    wave: deployment.waves[c.placement.wave]?.name ?? "",
    state: c.state === "unreachable" ? "unreachable" : "failed",
    reason: c.state === "unreachable" ? "heartbeat is stale" : (live.get(c.placement.processName)?.reason ?? "reported Failed"),
  }));
  return { revision: deployment.revision, phase, message, waves, toApply, toDelete, maxUnavailable, unavailable, failing, failingTotal: failingAll.length };
}
