/**
 * A TenantCluster's status (pure): phase (Pending, Provisioning, Ready, Updating, Stopped, Deleting,
 * Failed), endpoint, version, per-VM state with Proxmox metrics, nodes ready/total, conditions
 * (ControlPlaneReady, WorkersReady, Ready), for the status subresource and for Git.
 */
import type { FleetObject } from "../../model/fleet-object.ts";
import type { Condition, ObjectStatus } from "../../status/types.ts";
import type { Step } from "./decide.ts";
import type { StatusCondition, TenantClusterStatus, TenantSnapshot, VmStatusEntry } from "./ports.ts";
import type { TenantCluster } from "./spec.ts";
import { sizeOf } from "./workers.ts";

export type Phase = "Pending" | "Provisioning" | "Ready" | "Updating" | "Stopped" | "Deleting" | "Failed";

/** A step that failed this pass: why, in words naming the worker and what to do. */
export interface StepError {
  readonly reason: string;
  readonly message: string;
}

export interface Assessment {
  readonly phase: Phase;
  readonly reason: string;
  readonly message: string;
  /** Work remains that the engine does on its own: come back soon. */
  readonly progressing: boolean;
  readonly status: TenantClusterStatus;
}

function vmEntries(live: TenantSnapshot): VmStatusEntry[] {
  const ready = new Map((live.nodes ?? []).map((n) => [n.name, n.ready]));
  return [...live.workers, ...live.duplicates]
    .sort((a, b) => a.index - b.index || a.vmid - b.vmid)
    .map((w) => ({
      name: w.name,
      vmid: w.vmid,
      node: w.node,
      state: w.lock !== undefined ? `locked (${w.lock})` : w.power,
      ...(w.cores !== undefined ? { cores: w.cores } : {}),
      ...(w.memoryMiB !== undefined ? { memoryMiB: w.memoryMiB } : {}),
      nodeReady: ready.get(w.name) === true,
      ...(w.cpu !== undefined ? { cpuPercent: Math.round(w.cpu * 1000) / 10 } : {}),
      ...(w.memBytes !== undefined ? { memoryBytes: w.memBytes } : {}),
    }));
}

const cond = (type: string, ok: boolean, reason: string, message: string): StatusCondition => ({
  type,
  status: ok ? "True" : "False",
  reason,
  message,
});

export function assess(
  t: TenantCluster,
  live: TenantSnapshot,
  step: Step,
  errors: readonly StepError[],
  now: Date,
): Assessment {
  const w = t.workers;
  const size = sizeOf(w.cores, w.memoryMiB);
  const names = new Set(step.kept.map((k) => k.name));
  const tenantNodes = (live.nodes ?? []).filter((n) => names.has(n.name));
  const nodesReady = tenantNodes.filter((n) => n.ready).length;
  const running = step.kept.filter((k) => k.power === "running").length;
  const settled =
    step.kept.length === w.count &&
    step.removals.length === 0 &&
    live.duplicates.length === 0 &&
    step.kept.every((k) => k.lock === undefined && k.cores === w.cores && k.memoryMiB === w.memoryMiB);
  const allRunning = step.kept.every((k) => k.power === "running" && k.bootedSize === size);
  const allStopped = step.kept.every((k) => k.power === "stopped");
  const everReady = live.previous?.firstReadyTime !== undefined;

  let phase: Phase;
  let reason: string;
  let message: string;
  if (step.refusal) {
    phase = "Failed";
    reason = step.refusal.reason;
    message = step.refusal.message;
  } else if (step.tcpReady && settled && w.powerState === "Stopped" && allStopped) {
    phase = "Stopped";
    reason = "WorkersStopped";
    message = `${w.count} worker(s) stopped; the control plane runs`;
  } else if (step.tcpReady && settled && w.powerState === "Running" && allRunning && nodesReady === w.count) {
    phase = "Ready";
    reason = "Ready";
    message = `${nodesReady}/${w.count} nodes Ready on Kubernetes ${t.controlPlane.version} (workers of ${w.cores} cores, ${w.memoryMiB} MiB)`;
  } else {
    phase = everReady ? "Updating" : step.tcpReady ? "Provisioning" : "Pending";
    const first = errors[0];
    reason = first?.reason ?? (step.tcpReady ? "WorkersProgressing" : "ControlPlaneNotReady");
    message =
      first?.message ??
      step.waiting ??
      (step.restartsHeld > 0
        ? `${step.restartsHeld} worker(s) wait for the restart budget; ${nodesReady}/${w.count} nodes Ready`
        : `${nodesReady}/${w.count} nodes Ready, ${running} worker VM(s) running`);
    if (errors.length > 1) message += ` (and ${errors.length - 1} more)`;
  }

  const previousReady = live.previous?.phase === phase ? live.previous.lastTransitionTime : undefined;
  const status: TenantClusterStatus = {
    phase,
    reason,
    message,
    ...(live.tcp?.endpoint ? { endpoint: live.tcp.endpoint } : {}),
    ...(live.tcp?.version ? { kubernetesVersion: live.tcp.version } : {}),
    nodesReady,
    nodesTotal: tenantNodes.length,
    workers: { desired: w.count, current: step.kept.length, running },
    vms: vmEntries(live),
    conditions: [
      cond(
        "ControlPlaneReady",
        step.tcpReady,
        step.tcpReady ? "Ready" : step.refusal?.reason === "VersionRefused" ? "VersionRefused" : "NotReady",
        step.tcpReady
          ? `TenantControlPlane Ready on ${t.controlPlane.version} at ${live.tcp?.endpoint ?? "?"}`
          : (step.refusal?.message ?? step.waiting ?? "not Ready"),
      ),
      cond(
        "WorkersReady",
        nodesReady === w.count && settled,
        nodesReady === w.count && settled ? "NodesReady" : (errors[0]?.reason ?? "NodesNotReady"),
        `${nodesReady}/${w.count} nodes Ready`,
      ),
      cond(phase === "Stopped" ? "Stopped" : "Ready", phase === "Ready" || phase === "Stopped", reason, message),
    ],
    ...(live.previous?.firstReadyTime
      ? { firstReadyTime: live.previous.firstReadyTime }
      : phase === "Ready"
        ? { firstReadyTime: now.toISOString() }
        : {}),
    lastTransitionTime: previousReady ?? now.toISOString(),
  };
  const progressing = phase !== "Ready" && phase !== "Stopped" && phase !== "Failed";
  return { phase, reason, message, progressing, status };
}

/** The TenantCluster in Git's status files. */
export function objectStatus(object: FleetObject, commit: string, a: Assessment): ObjectStatus {
  const s = a.status;
  const conditions: Condition[] = s.conditions.map((c) => ({
    type: c.type,
    status: c.status,
    reason: c.reason,
    message: c.message,
  }));
  return {
    kind: object.kind,
    namespace: object.namespace,
    name: object.name,
    source: `${object.source.file}:${object.source.line}`,
    observedCommit: commit,
    phase: a.phase,
    conditions,
    counts: {
      nodesReady: s.nodesReady,
      nodesTotal: s.nodesTotal,
      workersDesired: s.workers.desired,
      workersCurrent: s.workers.current,
      workersRunning: s.workers.running,
    },
    ...(a.phase === "Failed" ? { lastError: a.message } : {}),
  };
}
