import type { FarAgent, LifecycleState } from "./agent.ts";
import type { LiveMicroVM } from "./ports.ts";

/** Where one agent stands after a pass: its state, why, and whether it is ready or still moving. */
export interface Outcome {
  readonly currentState: string;
  readonly reason: string;
  readonly message: string;
  readonly ready: boolean;
  readonly progressing: boolean;
  readonly warning?: boolean;
  readonly host?: string | undefined;
  readonly uid?: string | undefined;
}

export function runningOutcome(agent: FarAgent, vm: LiveMicroVM): Outcome {
  if (vm.state === "PENDING")
    return {
      currentState: "starting",
      reason: "Starting",
      message: `microVM ${vm.uid} on ${vm.host} is PENDING`,
      ready: false,
      progressing: true,
      host: vm.host,
      uid: vm.uid,
    };
  return {
    currentState: "active",
    reason: agent.state === "resurrect" ? "Resurrected" : "Running",
    message: `microVM ${vm.uid} runs on ${vm.host} (revision ${agent.revision})`,
    ready: true,
    progressing: false,
    host: vm.host,
    uid: vm.uid,
  };
}

export function stateReason(state: LifecycleState): string {
  return {
    sleep: "Sleeping",
    "force-sleep": "ForceSlept",
    blocked: "Blocked",
    active: "Running",
    resurrect: "Resurrected",
  }[state];
}

export function failed(reason: string, message: string): Outcome {
  return { currentState: "failed", reason, message, ready: false, progressing: false, warning: true };
}

export function unschedulable(reason: string, message: string, host: string | undefined): Outcome {
  return { currentState: "pending", reason, message, ready: false, progressing: false, warning: true, host };
}

export function notReconciled(backend: string): Outcome {
  return {
    currentState: "unknown",
    reason: "NoMicroVMFleet",
    message: `backend ${backend} offers no microVM fleet`,
    ready: false,
    progressing: false,
  };
}
