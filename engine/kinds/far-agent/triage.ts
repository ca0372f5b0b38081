import { wantsVM, type FarAgent, type LifecycleState } from "./agent.ts";
import type { Memory } from "./agent-status.ts";
import { pickVM } from "./live-vms.ts";
import { stateReason, type Outcome } from "./outcome.ts";
import type { HostSnapshot, LiveMicroVM } from "./ports.ts";

/** How long a sleeping agent's guest gets to power down before its VM is stopped. */
export const SLEEP_GRACE_MS = 10_000;

/** An agent that wants a microVM, for this pass's rollout step. */
export interface Target {
  readonly agent: FarAgent;
  readonly vm: LiveMicroVM | undefined;
  readonly unreachable: boolean;
  readonly host: string | undefined;
  /** The unreachable host it is being moved off (fleet file opted in). */
  readonly evacuate?: string;
}

/** A microVM to stop, asking its guest to power down within `graceMs` first (0: at once). */
export interface VMStop {
  readonly host: string;
  readonly uid: string;
  readonly graceMs: number;
}

/** Where one agent goes this pass: settled (an outcome), into the rollout (a target), or both; and what to stop. */
export interface Triage {
  readonly outcome?: Outcome;
  readonly target?: Target;
  readonly stops: readonly VMStop[];
}

function graceFor(state: LifecycleState): number {
  return state === "force-sleep" ? 0 : SLEEP_GRACE_MS;
}

/**
 * Sorts one agent by its lifecycle state and its microVMs (pure): an unreachable host makes it unknown (or moves it
 * when the fleet file says so); sleep, force-sleep and blocked stop what runs; active and resurrect become rollout
 * targets, keeping the best of several microVMs.
 */
export function triage(
  agent: FarAgent,
  vms: readonly LiveMicroVM[],
  mem: Memory,
  hostState: ReadonlyMap<string, HostSnapshot>,
): Triage {
  const live = vms.filter((v) => v.state !== "DELETING");
  const deleting = vms.some((v) => v.state === "DELETING");
  const host = live[0]?.host ?? vms[0]?.host ?? mem.host;
  const snapshot = host !== undefined ? hostState.get(host) : undefined;
  if (host !== undefined && snapshot && !snapshot.reachable) {
    if (agent.reschedule && wantsVM(agent.state)) {
      // The fleet file says to move it: place it anew elsewhere (its kept volume stays on the dead host).
      return { target: { agent, vm: undefined, unreachable: false, host: undefined, evacuate: host }, stops: [] };
    }
    const outcome: Outcome = {
      currentState: "unknown",
      reason: "HostUnreachable",
      message: `host ${host} is unreachable (${snapshot.error ?? "no answer"}): the agent's state is unknown; nothing is moved off it`,
      ready: false,
      progressing: false,
      warning: true,
      host,
      uid: mem.uid,
    };
    const target = wantsVM(agent.state) ? { target: { agent, vm: undefined, unreachable: true, host } } : {};
    return { outcome, ...target, stops: [] };
  }
  if (!wantsVM(agent.state)) {
    const stops = live.map((v) => ({ host: v.host, uid: v.uid, graceMs: graceFor(agent.state) }));
    if (live.length > 0 || deleting) {
      const how =
        agent.state === "force-sleep" ? "deleted at once" : `powering down (grace ${SLEEP_GRACE_MS / 1000} s)`;
      const uid = live[0]?.uid ?? vms[0]?.uid;
      const message = `${agent.state}: microVM ${uid ?? ""} on ${host} ${how}; root volume kept`;
      return {
        outcome: { currentState: "stopping", reason: "Stopping", message, ready: false, progressing: true, host, uid },
        stops,
      };
    }
    const message =
      agent.state === "blocked"
        ? "blocked: no microVM runs and none is created until unblocked"
        : `no microVM runs; the root volume is kept${host ? ` on ${host}` : ""}`;
    const reason = stateReason(agent.state);
    return { outcome: { currentState: agent.state, reason, message, ready: true, progressing: false, host }, stops };
  }
  if (live.length > 1) {
    // More than one microVM for an agent (a create retried by someone): keep the best, stop the rest.
    const keep = pickVM(live, agent.revision, mem.host);
    const stops = live.filter((v) => v !== keep).map((v) => ({ host: v.host, uid: v.uid, graceMs: 0 }));
    return { target: { agent, vm: keep, unreachable: false, host: keep?.host }, stops };
  }
  const target = { agent, vm: live[0], unreachable: false, host: live[0]?.host ?? (deleting ? host : undefined) };
  return { target, stops: [] };
}
