import type { DesiredState } from "../desired/load-fleet.ts";
import { reachability } from "../kinds/device-process/health.ts";
import { toLiveProcess, type LiveProcess } from "../kinds/device-process/live-process.ts";
import { readDeployment } from "../kinds/device-process-deployment/deployment.ts";
import { place } from "../kinds/device-process-deployment/expand.ts";
import { rolloutStep } from "../kinds/device-process-deployment/rollout.ts";
import { Labels } from "../model/device.ts";
import { checkApprovals } from "../rollout/approvals.ts";
import { partition } from "../reconcile/partition.ts";
import type { LiveView } from "../reconcile/ports.ts";
import { buildPlan, type Plan, type PlanInput } from "./plan.ts";

export interface PlanOptions {
  readonly commit: string;
  readonly now: Date;
  readonly heartbeatStaleMs?: number;
  readonly useHeartbeats?: boolean;
}

/** Reads live state through the view and builds the plan for a desired state. Writes nothing. */
export async function computePlan(view: LiveView, desired: DesiredState, options: PlanOptions, signal: AbortSignal): Promise<Plan> {
  const parts = partition(desired.objects);
  const diffs = await view.diff(parts.kubernetes.map((k) => k.manifest), signal);
  const objects: PlanInput["objects"][number][] = parts.kubernetes.map((k, i) => ({
    kind: k.object.kind, namespace: k.object.namespace, name: k.object.name,
    diff: diffs[i] ?? { state: "missing", fields: [] },
  }));
  const wanted = new Set(parts.kubernetes.map((k) => `${k.object.kind}/${k.object.namespace}/${k.object.name}`));
  const deletions = desired.config.defaults.prune
    ? (await view.appliedInventory(signal)).filter((r) => !wanted.has(`${r.kind}/${r.namespace}/${r.name}`)).map((r) => ({ kind: r.kind, namespace: r.namespace, name: r.name }))
    : [];

  const rollouts: PlanInput["rollouts"][number][] = [];
  if (parts.deployments.length > 0) {
    const devices = await view.listDevices(signal);
    for (const namespace of [...new Set(parts.deployments.map((d) => d.namespace))].sort()) {
      const processes = await view.listDeploymentProcesses(namespace, signal);
      const beats = options.useHeartbeats === false ? undefined : await view.heartbeats(namespace, signal);
      for (const object of parts.deployments.filter((d) => d.namespace === namespace)) {
        const deployment = readDeployment(object, desired.config);
        const live = new Map<string, LiveProcess>();
        for (const p of processes) {
          const labels = ((p["metadata"] as Record<string, unknown>)["labels"] ?? {}) as Record<string, string>;
          if (labels[Labels.deployment] === object.name) {
            const lp = toLiveProcess(p);
            live.set(lp.name, lp);
          }
        }
        const approvals = checkApprovals(desired.approvals, deployment, deployment.revision);
        const heartbeats = beats ? { renewedAt: beats, staleAfterMs: options.heartbeatStaleMs ?? 300_000, now: options.now.getTime() } : undefined;
        const step = rolloutStep({
          deployment, placements: place(deployment, devices), live, approvedWaves: approvals.approved,
          reachable: reachability(heartbeats), maxFailing: desired.config.status.maxFailingDevices,
        });
        rollouts.push({ deployment, step, approved: approvals.approved });
      }
    }
  }
  return buildPlan({ commit: options.commit, objects, deletions, rollouts });
}
