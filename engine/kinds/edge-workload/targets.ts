/**
 * One EdgeWorkload's rollout over devices, derived from what Flightctl reports alone (a restarted
 * engine computes the same): which devices it targets, how each stands (engine/rollout's target
 * states), and one `targetRolloutStep` with its waves, budget, approvals and success thresholds.
 */
import type { FleetObject } from "../../model/fleet-object.ts";
import { checkApprovals } from "../../rollout/approvals.ts";
import { targetRolloutStep } from "../../rollout/rollout-step.ts";
import type { TargetRolloutStep } from "../../rollout/rollout-types.ts";
import type { TargetState } from "../../rollout/target-state.ts";
import { digest } from "../canonical-json.ts";
import type { EdgeDevice } from "./ports.ts";
import { assignWaves } from "./rollout-policy.ts";
import type { EdgeApplication, EdgeWorkload } from "./workload.ts";

export interface DeviceTarget {
  readonly device: EdgeDevice;
  readonly state: TargetState;
  readonly onRevision: boolean;
  readonly reason: string;
}

export interface WorkloadEvaluation {
  readonly step: TargetRolloutStep<DeviceTarget>;
  readonly targets: readonly DeviceTarget[];
  readonly counts: {
    desired: number;
    updated: number;
    running: number;
    failed: number;
    offline: number;
    unavailable: number;
  };
  /** Approvals refused for this rollout (loud). */
  readonly refused: readonly string[];
}

const APP_FIELDS = ["appType", "name", "image", "envVars", "ports", "resources"] as const;

/** What Bosun sets of an application (other fields a server adds are not compared). */
export function appDigest(app: Readonly<Record<string, unknown>>): string {
  const picked: Record<string, unknown> = {};
  for (const f of APP_FIELDS) if (app[f] !== undefined) picked[f] = app[f];
  return digest(picked);
}

/** How one device stands for the workload's applications. */
export function deviceTarget(
  device: EdgeDevice,
  apps: readonly EdgeApplication[],
  now: number,
  offlineTimeoutMs: number,
): DeviceTarget {
  const wanted = new Map(apps.map((a) => [a.name, appDigest(a as unknown as Record<string, unknown>)]));
  const present = device.applications.filter((a) => wanted.has(String(a["name"])));
  const onRevision =
    device.settled &&
    present.length === wanted.size &&
    present.every((a) => wanted.get(String(a["name"])) === appDigest(a));
  if (now - device.lastSeenMs > offlineTimeoutMs) {
    const seen = device.lastSeenMs > 0 ? new Date(device.lastSeenMs).toISOString() : "never";
    return { device, state: "unreachable", onRevision, reason: `offline: last seen ${seen}` };
  }
  if (present.length === 0) return { device, state: "missing", onRevision, reason: "not deployed" };
  if (!device.settled) return { device, state: "pending", onRevision, reason: "applying the rendered spec" };
  const states = [...wanted.keys()].map((n) => [n, device.appStates[n] ?? "Unknown"] as const);
  const failing = states.filter(([, s]) => s === "Error");
  if (failing.length > 0)
    return { device, state: "failed", onRevision, reason: failing.map(([n, s]) => `${n} ${s}`).join(", ") };
  if (states.every(([, s]) => s === "Running")) return { device, state: "ready", onRevision, reason: "running" };
  return { device, state: "pending", onRevision, reason: states.map(([n, s]) => `${n} ${s}`).join(", ") };
}

/** The workload's rollout step over `devices` (its targets), with the approvals committed in Git. */
export function evaluateWorkload(input: {
  readonly workload: EdgeWorkload;
  readonly devices: readonly EdgeDevice[];
  readonly approvals: readonly FleetObject[];
  readonly now: number;
  readonly offlineTimeoutMs: number;
  readonly maxFailing: number;
}): WorkloadEvaluation {
  const { workload } = input;
  const sorted = [...input.devices].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const targets = sorted.map((d) => deviceTarget(d, workload.applications, input.now, input.offlineTimeoutMs));
  const waveOf = assignWaves(workload.waves, targets, (t) => t.device.labels);
  const approvals = checkApprovals(
    input.approvals,
    { kind: "EdgeWorkload", namespace: workload.namespace, name: workload.name },
    workload.revision,
    { waves: workload.waves },
  );
  const step = targetRolloutStep<DeviceTarget>({
    revision: workload.revision,
    strategy: "RollingUpdate",
    maxUnavailable: workload.maxUnavailable,
    waves: workload.waves,
    paused: false,
    targets,
    waveOf: (t) => waveOf.get(t) ?? workload.waves.length - 1,
    stateOf: (t) => t.state,
    runsRevision: (t) => t.onRevision,
    failureReason: (t) => t.reason,
    nameOf: (t) => t.device.name,
    approvedWaves: approvals.approved,
    approveHint: (wave) =>
      `bosun approve EdgeWorkload/${workload.name} --namespace ${workload.namespace} --wave ${wave}`,
    noun: { singular: "device", plural: "devices" },
    maxFailing: input.maxFailing,
  });
  const counts = {
    desired: targets.length,
    updated: 0,
    running: 0,
    failed: 0,
    offline: 0,
    unavailable: step.unavailable,
  };
  for (const t of targets) {
    if (t.onRevision) counts.updated++;
    if (t.onRevision && t.state === "ready") counts.running++;
    if (t.state === "failed") counts.failed++;
    if (t.state === "unreachable") counts.offline++;
  }
  return { step, targets, counts, refused: approvals.refused };
}
