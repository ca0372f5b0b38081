import type { FleetObject } from "../../model/fleet-object.ts";
import type { Condition, ObjectStatus } from "../../status/types.ts";
import { wantsVM, type FarAgent } from "./agent.ts";
import type { Outcome } from "./outcome.ts";
import type { AgentStatus } from "./ports.ts";

/** What the controller remembers of one agent between passes (rebuilt from status after a restart). */
export interface Memory {
  currentState?: string | undefined;
  lastTransitionTime?: string | undefined;
  host?: string | undefined;
  uid?: string | undefined;
  revision?: string | undefined;
  reason?: string;
  message?: string;
  /** Recreates of a FAILED VM on `failedRevision`. */
  failures: number;
  failedRevision?: string;
  /** When the desired state last changed (transition durations). */
  desiredSince?: number;
  desired?: string;
  /** The status last written, as JSON (written again only on change). */
  written?: string;
}

/** What goes to the FARAgent's status subresource (and is read back after a restart). */
export function agentStatus(mem: Memory, outcome: Outcome, agent: FarAgent): AgentStatus {
  const ready: Condition = {
    type: "Ready",
    status: outcome.ready ? "True" : outcome.currentState === "unknown" ? "Unknown" : "False",
    reason: outcome.reason,
    message: outcome.message,
  };
  return {
    currentState: mem.currentState ?? outcome.currentState,
    ...(mem.lastTransitionTime ? { lastTransitionTime: mem.lastTransitionTime } : {}),
    ...(mem.host ? { host: mem.host } : {}),
    ...(mem.uid && wantsVM(agent.state) ? { microvmUID: mem.uid } : {}),
    revision: agent.revision,
    reason: outcome.reason,
    message: outcome.message,
    conditions: [{ ...ready, ...(mem.lastTransitionTime ? { lastTransitionTime: mem.lastTransitionTime } : {}) }],
  };
}

/** The agent in Git's status files: phase from its state, the Ready condition with host and microVM. */
export function objectStatus(object: FleetObject, commit: string, outcome: Outcome, mem?: Memory): ObjectStatus {
  const phase =
    outcome.currentState === "unknown"
      ? "Unreachable"
      : outcome.currentState === "failed" || outcome.currentState === "drifted"
        ? "Failed"
        : outcome.ready
          ? "Ready"
          : "Progressing";
  const host = outcome.host ?? mem?.host;
  const uid = outcome.uid ?? mem?.uid;
  const message = `${outcome.currentState}${host ? ` on ${host}` : ""}${uid ? ` (microVM ${uid})` : ""}: ${outcome.message}`;
  return {
    kind: object.kind,
    namespace: object.namespace,
    name: object.name,
    source: `${object.source.file}:${object.source.line}`,
    observedCommit: commit,
    phase,
    conditions: [
      {
        type: "Ready",
        status: outcome.ready ? "True" : outcome.currentState === "unknown" ? "Unknown" : "False",
        reason: outcome.reason,
        message,
      },
    ],
    ...(phase === "Failed" ? { lastError: outcome.message } : {}),
  };
}
