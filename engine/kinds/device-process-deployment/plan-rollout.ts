import type { DesiredState } from "../../desired/load-fleet.ts";
import type { Device } from "../../model/device.ts";
import type { FleetObject } from "../../model/fleet-object.ts";
import { checkApprovals } from "../../rollout/approvals.ts";
import type { LiveProcess } from "../device-process/live-process.ts";
import type { RolloutPlan } from "../registration.ts";
import { readDeployment } from "./deployment.ts";
import { place } from "./expand.ts";
import { rolloutStep } from "./rollout.ts";

/** What the next rollout of a deployment would do, per wave, from live state. Pure. */
export function planRollout(
  object: FleetObject,
  desired: DesiredState,
  devices: readonly Device[],
  live: ReadonlyMap<string, LiveProcess>,
  reachable: (device: string) => boolean,
): RolloutPlan {
  const deployment = readDeployment(object, desired.config);
  const approvals = checkApprovals(desired.approvals, object, deployment.revision);
  const placements = place(deployment, devices);
  const step = rolloutStep({
    deployment,
    placements,
    live,
    approvedWaves: approvals.approved,
    reachable,
    maxFailing: desired.config.status.maxFailingDevices,
  });
  return {
    kind: object.kind,
    namespace: deployment.namespace,
    name: deployment.name,
    revision: step.revision,
    strategy: deployment.strategy,
    maxUnavailable: step.maxUnavailable,
    targets: step.waves.reduce((n, w) => n + w.total, 0),
    unit: "device",
    toDelete: step.toDelete.length,
    waves: step.waves.map((w, i) => ({
      name: w.name,
      targets: w.total,
      toUpdate: w.toUpdate,
      approval: w.approval,
      approved: w.approval === "auto" || approvals.approved.has(w.name),
      disruption: w.toUpdate === 0 ? "none" : deployment.strategy === "Recreate" ? "recreate" : "restart",
      // The devices behind toUpdate: reachable, not yet on the revision (placements are sorted by device).
      devices: placements
        .filter((p) => p.wave === i && reachable(p.device.name) && live.get(p.processName)?.revision !== step.revision)
        .map((p) => p.device.name),
    })),
  };
}
