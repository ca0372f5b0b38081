import type { BosunConfig } from "../../desired/bosun-config.ts";
import type { DesiredState } from "../../desired/load-fleet.ts";
import type { Change } from "../../model/change.ts";
import { objectRef, type FleetObject } from "../../model/fleet-object.ts";
import { refKey } from "../../model/object-ref.ts";
import { reachability } from "../device-process/health.ts";
import type { Backend } from "../../reconcile/ports.ts";
import { checkApprovals, type ApprovalCheck } from "../../rollout/approvals.ts";
import { ReachabilityTracker } from "../../rollout/reachability.ts";
import type { ObjectStatus } from "../../status/types.ts";
import type {
  ControllerInput,
  ControllerOptions,
  ControllerOutput,
  KindController,
  PlanInput,
  RolloutPlan,
  RolloutReport,
} from "../registration.ts";
import { approvalsKey, DeploymentMemo, type StepInputs } from "./deployment-memo.ts";
import { deploymentPass, toLiveDeployment, type DeploymentPassResult } from "./deployment-pass.ts";
import type { Deployment } from "./deployment.ts";
import { deviceAccess } from "./device-access.ts";
import { DeviceAccessSync } from "./device-access-sync.ts";
import type { Placement } from "./expand.ts";
import { listedState } from "./listed-state.ts";
import { planRollout } from "./plan-rollout.ts";
import { DEVICE_FLEET, type DeviceFleet, type LiveDeployment, type LiveState } from "./ports.ts";

/** What the rollouts placed this pass, for the agents' per-device RBAC. */
interface PlacedDeployments {
  readonly entries: { deployment: Deployment; placements: readonly Placement[] }[];
  /** One line per deployment: id, object digest, placements version (incremental passes). */
  readonly key: string[];
  /** False when a deployment failed its step. */
  complete: boolean;
}

function report(object: FleetObject, result: DeploymentPassResult): RolloutReport {
  const { step, deploymentStatus: s } = result;
  const waves = step.waves.map((w) => `${w.name} ${w.state} ${w.updated}/${w.total}`).join(" | ");
  const summary = `${object.name}: ${step.phase} rev ${step.revision.slice(0, 8)} · ready ${s.numberReady}/${s.desiredNumberScheduled} · updated ${s.updatedNumberScheduled} · ${waves}`;
  const waiting = step.phase === "WaitingForApproval" || step.phase === "Paused" ? { waiting: step.message } : {};
  const refused = result.approvalsRefused.length > 0 ? { refusedApprovals: result.approvalsRefused } : {};
  return { object, status: result.status, progressing: step.phase === "Progressing", summary, ...waiting, ...refused };
}

/**
 * The DeviceProcessDeployment controller: after the generic pass applied the deployments (as
 * custom resources), one rollout step per deployment — place devices into waves, apply and delete
 * DeviceProcesses within the budget, write the status subresource and events — then the agents'
 * per-device RBAC (bosun.yaml `agents.rbac`). Incremental when the backend keeps a versioned live
 * read model: a deployment whose inputs are all unchanged reuses its last result and writes nothing.
 */
export class DeploymentController implements KindController {
  private readonly memo = new DeploymentMemo();
  private readonly reachability = new ReachabilityTracker();
  private readonly access = new DeviceAccessSync();
  /** The placements key of the last clean device-access sync: unchanged placements skip it. */
  private lastAccessKey: string | undefined;
  private readonly fleet: DeviceFleet;
  /** Per deployment, the refusals last logged: a refusal is logged when it appears, not every pass. */
  private readonly refusalsLogged = new Map<string, string>();
  /** Obsolete approval files already reported (once per engine run). */
  private readonly obsoleteLogged = new Set<string>();

  constructor(
    private readonly backend: Backend,
    private readonly options: ControllerOptions,
  ) {
    const fleet = backend.ports?.get(DEVICE_FLEET);
    if (!fleet)
      throw new Error(`backend ${backend.name} offers no device fleet port; DeviceProcessDeployments need one`);
    this.fleet = fleet;
  }

  async reconcile(input: ControllerInput): Promise<ControllerOutput> {
    const placed: PlacedDeployments = { entries: [], key: [], complete: true };
    const statuses: ObjectStatus[] = [];
    const results = await this.rollouts(input, statuses, placed);
    const changes = input.desired.config.agents.rbac ? await this.syncDeviceAccess(placed, input.signal) : [];
    return { statuses, changes, rollouts: results.map(({ object, result }) => report(object, result)) };
  }

  async plan(input: PlanInput): Promise<RolloutPlan[]> {
    const { objects, desired, now, signal } = input;
    const live = await listedState(this.fleet, objects, this.options.useHeartbeats, signal);
    const devices = live.devices().value;
    const out: RolloutPlan[] = [];
    for (const object of objects) {
      const beats = {
        renewedAt: live.heartbeats(object.namespace).value,
        staleAfterMs: this.options.heartbeatStaleMs,
        now: now.getTime(),
      };
      const reachable = reachability(this.options.useHeartbeats ? beats : undefined);
      out.push(planRollout(object, desired, devices, live.processes(object.namespace, object.name).value, reachable));
    }
    return out;
  }

  /**
   * Per-device RBAC for the agents from this pass's placements. Skipped while any deployment failed
   * its step (its devices would lose access) and while the placements are those of the last clean sync.
   */
  private async syncDeviceAccess(placed: PlacedDeployments, signal: AbortSignal): Promise<Change[]> {
    if (!placed.complete) return [];
    const key = placed.key.join("\n");
    if (key === this.lastAccessKey) return [];
    let changes: Change[];
    try {
      changes = await this.access.sync(deviceAccess(placed.entries), this.fleet, signal);
    } catch (error) {
      if (signal.aborted) throw error;
      // The rollouts went through; only the agents' RBAC could not be kept (e.g. no rights to list Roles).
      this.options.logger.error(
        { err: error },
        `device agent RBAC (bosun.yaml agents.rbac): ${(error as Error).message}; the engine needs deploy/rbac/bosun-agent-rbac.yaml; retrying next pass`,
      );
      this.lastAccessKey = undefined;
      return [];
    }
    const errors = changes.filter((c) => c.error !== undefined);
    for (const c of errors)
      this.options.logger.warn(
        { ref: c.ref },
        `device agent RBAC ${c.ref.kind} ${c.ref.namespace}/${c.ref.name}: ${c.error?.message ?? ""}; retrying next pass`,
      );
    this.lastAccessKey = errors.length === 0 ? key : undefined;
    return changes;
  }

  /** Logs refused approvals when they change, and each obsolete approval file once. */
  private reportApprovals(id: string, approvals: ApprovalCheck): void {
    const { logger } = this.options;
    const key = approvals.refused.join("\n");
    if (key !== (this.refusalsLogged.get(id) ?? "")) {
      for (const message of approvals.refused)
        logger.warn({ deployment: id }, `DeviceProcessDeployment ${id}: ${message}`);
      this.refusalsLogged.set(id, key);
    }
    const fresh = approvals.obsolete.filter((file) => !this.obsoleteLogged.has(`${id} ${file}`));
    if (fresh.length > 0) {
      for (const file of fresh) this.obsoleteLogged.add(`${id} ${file}`);
      logger.info(
        { deployment: id, files: fresh },
        `DeviceProcessDeployment ${id}: ${fresh.length} obsolete approval file(s) for other revisions ` +
          `(ignored; remove them with bosun approve DeviceProcessDeployment/${id.split("/")[1]} --prune): ${fresh.join(", ")}`,
      );
    }
  }

  private async liveState(
    objects: readonly FleetObject[],
    incremental: boolean,
    signal: AbortSignal,
  ): Promise<LiveState> {
    if (incremental && this.fleet.liveState) return this.fleet.liveState(signal);
    return listedState(this.fleet, objects, this.options.useHeartbeats, signal);
  }

  /** One rollout step per deployment (incremental: unchanged inputs reuse the last result). */
  private async rollouts(
    input: ControllerInput,
    statuses: ObjectStatus[],
    placed: PlacedDeployments,
  ): Promise<{ object: FleetObject; result: DeploymentPassResult }[]> {
    const { objects, desired, commit, now, signal } = input;
    const { logger } = this.options;
    const useHeartbeats = this.options.useHeartbeats;
    const incremental = this.options.incremental && this.fleet.liveState !== undefined;
    const live = await this.liveState(objects, incremental, signal);
    const memo = incremental ? this.memo : new DeploymentMemo();
    if (!incremental) placed.key.push(`full pass ${now.getTime()} ${commit}`); // a fresh memo's versions say nothing across passes
    const tracker = incremental ? this.reachability : new ReachabilityTracker();
    const devices = live.devices();
    const out: { object: FleetObject; result: DeploymentPassResult }[] = [];
    const ids = new Set<string>();
    for (const namespace of [...new Set(objects.map((d) => d.namespace))].sort()) {
      const reach = useHeartbeats
        ? tracker.at(namespace, live.heartbeats(namespace), now.getTime(), this.options.heartbeatStaleMs)
        : ReachabilityTracker.all();
      for (const object of objects.filter((d) => d.namespace === namespace)) {
        const id = `${object.namespace}/${object.name}`;
        ids.add(id);
        const applied = input.changes.get(refKey(object));
        if (applied?.error !== undefined) {
          placed.complete = false;
          memo.forget(id);
          statuses.push(failedStatus(object, commit, applied.error.message));
          continue;
        }
        try {
          const result = await this.step(object, desired, live, memo, devices, reach, incremental, placed, input);
          out.push({ object, result });
          statuses.push(result.status);
        } catch (error) {
          if (signal.aborted) throw error;
          placed.complete = false;
          memo.forget(id);
          const message = `${objectRef(object)}: rollout step failed: ${(error as Error).message}`;
          logger.error({ err: error }, message);
          statuses.push({
            kind: object.kind,
            namespace: object.namespace,
            name: object.name,
            observedCommit: commit,
            phase: "Failed",
            lastError: message,
          });
        }
      }
    }
    if (incremental) memo.retain(ids);
    return out;
  }

  private async step(
    object: FleetObject,
    desired: DesiredState,
    live: LiveState,
    memo: DeploymentMemo,
    devices: ReturnType<LiveState["devices"]>,
    reach: ReturnType<ReachabilityTracker["at"]>,
    incremental: boolean,
    placed: PlacedDeployments,
    input: ControllerInput,
  ): Promise<DeploymentPassResult> {
    const { commit, now, signal } = input;
    const id = `${object.namespace}/${object.name}`;
    const config: BosunConfig = desired.config;
    const objectKey = memo.objectKey(object, config);
    const expanded = memo.expand(id, objectKey, object, config, devices);
    placed.entries.push({ deployment: expanded.deployment, placements: expanded.placements });
    placed.key.push(`${id}|${objectKey}|${expanded.version}`);
    const processes = live.processes(object.namespace, object.name);
    let liveDeployment = live.deployment(object.namespace, object.name);
    let memoizable = true;
    if (liveDeployment.value === undefined && incremental) {
      // Just created by the generic pass and not seen by the watch yet: ask once, do not remember.
      const fetched = toLiveDeployment(
        await this.fleet.get(
          { apiVersion: object.apiVersion, kind: object.kind, namespace: object.namespace, name: object.name },
          signal,
        ),
      );
      if (fetched) {
        liveDeployment = { version: -1, value: fetched };
        memoizable = false;
      }
    }
    const approvals = checkApprovals(desired.approvals, object, expanded.deployment.revision, {
      history: revisionHistory(liveDeployment.value),
      waves: expanded.deployment.waves,
    });
    this.reportApprovals(id, approvals);
    const inputs: StepInputs = {
      object: objectKey,
      placements: expanded.version,
      processes: processes.version,
      reachability: reach.version,
      liveDeployment: liveDeployment.version,
      approvals: approvalsKey(approvals),
    };
    const reused = memoizable ? memo.reuse(id, inputs) : undefined;
    if (reused) return { ...reused, status: { ...reused.status, observedCommit: commit } };
    const result = await deploymentPass(
      { fleet: this.fleet, events: this.backend.events },
      {
        object,
        deployment: expanded.deployment,
        placements: expanded.placements,
        config,
        approvals,
        liveDeployment: liveDeployment.value,
        live: processes.value,
        reachable: reach.reachable,
        now,
        commit,
      },
      signal,
    );
    if (memoizable) memo.remember(id, inputs, result);
    else memo.forget(id);
    return result;
  }
}

/** The revisions a live deployment had, newest first (its status: revision, then revisionHistory). */
function revisionHistory(live: LiveDeployment | undefined): string[] {
  const status = (live?.status ?? {}) as Record<string, unknown>;
  const history = Array.isArray(status["revisionHistory"]) ? status["revisionHistory"].map(String) : [];
  return typeof status["revision"] === "string" ? [status["revision"], ...history] : history;
}

function failedStatus(object: FleetObject, commit: string, error: string): ObjectStatus {
  return {
    kind: object.kind,
    namespace: object.namespace,
    name: object.name,
    source: `${object.source.file}:${object.source.line}`,
    observedCommit: commit,
    phase: "Failed",
    lastError: error,
    conditions: [{ type: "Ready", status: "False", reason: "ApplyFailed", message: error }],
  };
}
