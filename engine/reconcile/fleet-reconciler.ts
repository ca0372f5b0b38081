import type { DesiredState } from "../desired/load-fleet.ts";
import { percent } from "../kinds/device-process-deployment/deployment.ts";
import type { Logger } from "../log/logger.ts";
import { objectRef, type FleetObject } from "../model/fleet-object.ts";
import type { ApplyContext, DesiredStateConsumer } from "../loop/consumer.ts";
import type { ObjectStatus } from "../status/types.ts";
import { checkApprovals } from "../rollout/approvals.ts";
import { approvalsKey, DeploymentMemo, type StepInputs } from "./deployment-memo.ts";
import { deploymentPass, toLiveDeployment, type DeploymentPassResult } from "./deployment-pass.ts";
import { DeviceAccessSync } from "./device-access-sync.ts";
import { deviceAccess } from "../kinds/device-process-deployment/device-access.ts";
import type { Deployment } from "../kinds/device-process-deployment/deployment.ts";
import type { Placement } from "../kinds/device-process-deployment/expand.ts";
import { listedState } from "./listed-state.ts";
import { partition, type Partition } from "./partition.ts";
import { ReachabilityTracker } from "./reachability.ts";
import type { Change, FleetBackend } from "./ports.ts";

export const MASS_DELETION_ANNOTATION = "bosun.dev/allow-mass-deletion";

/** What the rollouts placed this pass, for the agents' per-device RBAC. */
interface PlacedDeployments {
  readonly entries: { deployment: Deployment; placements: readonly Placement[] }[];
  /** One line per deployment: id, object digest, placements version (incremental passes). */
  readonly key: string[];
  /** False when a deployment failed its step. */
  complete: boolean;
}

export interface FleetReconcilerOptions {
  readonly backend: FleetBackend;
  readonly logger: Logger;
  /** Devices whose Lease is older than this are unreachable (default 5 min). */
  readonly heartbeatStaleMs?: number;
  /** Use device Leases to tell unreachable devices apart (default true). */
  readonly useHeartbeats?: boolean;
  readonly clock?: () => Date;
  /**
   * Reuse what did not change between passes when the backend keeps a live read model (default
   * true). False: list everything and step every deployment each pass (the reference behaviour).
   */
  readonly incremental?: boolean;
  /** Called after each pass with the rollout results (progress output, metrics). */
  readonly onPass?: (report: PassReport) => void;
}

export interface PassReport {
  readonly commit: string;
  readonly changes: readonly Change[];
  readonly deployments: readonly { readonly object: FleetObject; readonly result: DeploymentPassResult }[];
  readonly pruneRefused?: string;
  /** True while any rollout can still progress on its own: the loop should come back soon. */
  readonly progressing: boolean;
}

function statusOfChange(object: FleetObject, change: Change | undefined, commit: string, pruneRefused: string | undefined): ObjectStatus {
  const base = { kind: object.kind, namespace: object.namespace, name: object.name, source: `${object.source.file}:${object.source.line}`, observedCommit: commit };
  if (!change) return { ...base, phase: "Unknown", lastError: "the backend reported nothing for this object" };
  if (change.error !== undefined) return { ...base, phase: "Failed", lastError: change.error, conditions: [{ type: "Ready", status: "False", reason: "ApplyFailed", message: change.error }] };
  const message = change.fields && change.fields.length > 0 ? `${change.reason}: ${change.fields.join(", ")}` : change.reason;
  return {
    ...base,
    phase: change.action === "skipped" ? "Skipped" : "Ready",
    conditions: [{ type: "Ready", status: change.action === "skipped" ? "False" : "True", reason: change.action, message }],
    ...(pruneRefused ? { lastError: pruneRefused } : {}),
  };
}

/**
 * The consumer the loop hands each valid desired state to: applies the Kubernetes set (with
 * prune), rolls out every DeviceProcessDeployment one step, and returns one status per object.
 */
export class FleetReconciler implements DesiredStateConsumer {
  private readonly memo = new DeploymentMemo();
  private readonly reachability = new ReachabilityTracker();
  private lastPartition: { objects: readonly FleetObject[]; parts: Partition } | undefined;
  private readonly access = new DeviceAccessSync();
  /** The placements key of the last clean device-access sync: unchanged placements skip it. */
  private lastAccessKey: string | undefined;

  constructor(private readonly options: FleetReconcilerOptions) {}

  async apply(desired: DesiredState, context: ApplyContext): Promise<readonly ObjectStatus[]> {
    const { backend, logger } = this.options;
    const { signal, commit } = context;
    const now = (this.options.clock ?? (() => new Date()))();
    const parts = this.partitionOf(desired);
    const config = desired.config;

    const set = await backend.applySet(parts.kubernetes.map((k) => k.manifest), {
      prune: config.defaults.prune,
      maxDeletionShare: percent(config.defaults.maxDeletionShare),
      allowMassDeletion: config.annotations[MASS_DELETION_ANNOTATION] === "true",
      signal,
    });
    if (set.pruneRefused) logger.warn({ commit }, set.pruneRefused);
    const byRef = new Map(set.changes.map((c) => [`${c.ref.kind}/${c.ref.namespace}/${c.ref.name}`, c]));
    const statuses: ObjectStatus[] = [];
    for (const { object } of parts.kubernetes) {
      if (object.kind === "DeviceProcessDeployment") continue;
      statuses.push(statusOfChange(object, byRef.get(`${object.kind}/${object.namespace}/${object.name}`), commit, set.pruneRefused));
    }
    for (const object of parts.inventory) {
      statuses.push({ kind: object.kind, namespace: object.namespace, name: object.name, observedCommit: commit, phase: "Inventory", conditions: [{ type: "Ready", status: "Unknown", reason: "InventoryKind", message: "inventory is read from the cluster, not written by Bosun" }] });
    }
    for (const object of parts.withoutBackend) {
      statuses.push({ kind: object.kind, namespace: object.namespace, name: object.name, source: `${object.source.file}:${object.source.line}`, observedCommit: commit, phase: "NotReconciled", conditions: [{ type: "Ready", status: "Unknown", reason: "NoBackend", message: `${objectRef(object)} is valid, but Bosun has no ${object.kind} backend yet; nothing was applied` }] });
    }

    const placed: PlacedDeployments = { entries: [], key: [], complete: true };
    const deployments = parts.deployments.length > 0 ? await this.rollouts(parts.deployments, desired, set.changes, statuses, context, now, placed) : [];
    const accessChanges = config.agents.rbac ? await this.syncDeviceAccess(placed, signal) : [];
    const progressing = deployments.some((d) => d.result.step.phase === "Progressing");
    this.options.onPass?.({ commit, changes: [...set.changes, ...accessChanges], deployments, ...(set.pruneRefused ? { pruneRefused: set.pruneRefused } : {}), progressing });
    return statuses;
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
      changes = await this.access.sync(deviceAccess(placed.entries), this.options.backend, signal);
    } catch (error) {
      if (signal.aborted) throw error;
      // The rollouts went through; only the agents' RBAC could not be kept (e.g. no rights to list Roles).
      this.options.logger.error({ err: error }, `device agent RBAC (bosun.yaml agents.rbac): ${(error as Error).message}; the engine needs deploy/rbac/bosun-agent-rbac.yaml; retrying next pass`);
      this.lastAccessKey = undefined;
      return [];
    }
    const errors = changes.filter((c) => c.error !== undefined);
    for (const c of errors) this.options.logger.warn({ ref: c.ref }, `device agent RBAC ${c.ref.kind} ${c.ref.namespace}/${c.ref.name}: ${c.error ?? ""}; retrying next pass`);
    this.lastAccessKey = errors.length === 0 ? key : undefined;
    return changes;
  }

  private partitionOf(desired: DesiredState): Partition {
    if (this.lastPartition?.objects !== desired.objects) this.lastPartition = { objects: desired.objects, parts: partition(desired.objects) };
    return this.lastPartition.parts;
  }

  /**
   * One rollout step per DeviceProcessDeployment. Incremental (the backend keeps a versioned live
   * read model): a deployment whose inputs are all unchanged reuses its last result and writes
   * nothing. Full: lists everything and steps every deployment.
   */
  private async rollouts(objects: readonly FleetObject[], desired: DesiredState, changes: readonly Change[], statuses: ObjectStatus[], context: ApplyContext, now: Date, placed: PlacedDeployments): Promise<PassReport["deployments"][number][]> {
    const { backend, logger } = this.options;
    const { signal, commit } = context;
    const useHeartbeats = this.options.useHeartbeats !== false;
    const staleMs = this.options.heartbeatStaleMs ?? 300_000;
    const incremental = this.options.incremental !== false && backend.liveState !== undefined;
    const live = incremental && backend.liveState ? await backend.liveState(signal) : await listedState(backend, objects, useHeartbeats, signal);
    const memo = incremental ? this.memo : new DeploymentMemo();
    if (!incremental) placed.key.push(`full pass ${now.getTime()} ${commit}`); // a fresh memo's versions say nothing across passes
    const tracker = incremental ? this.reachability : new ReachabilityTracker();
    const failed = new Set(changes.filter((c) => c.error !== undefined).map((c) => `${c.ref.kind}/${c.ref.namespace}/${c.ref.name}`));
    const devices = live.devices();
    const out: PassReport["deployments"][number][] = [];
    const ids = new Set<string>();
    for (const namespace of [...new Set(objects.map((d) => d.namespace))].sort()) {
      const reach = useHeartbeats ? tracker.at(namespace, live.heartbeats(namespace), now.getTime(), staleMs) : ReachabilityTracker.all();
      for (const object of objects.filter((d) => d.namespace === namespace)) {
        const id = `${object.namespace}/${object.name}`;
        ids.add(id);
        const refKey = `${object.kind}/${object.namespace}/${object.name}`;
        if (failed.has(refKey)) {
          placed.complete = false;
          memo.forget(id);
          statuses.push(statusOfChange(object, changes.find((c) => `${c.ref.kind}/${c.ref.namespace}/${c.ref.name}` === refKey), commit, undefined));
          continue;
        }
        try {
          const objectKey = memo.objectKey(object, desired.config);
          const expanded = memo.expand(id, objectKey, object, desired.config, devices);
          placed.entries.push({ deployment: expanded.deployment, placements: expanded.placements });
          placed.key.push(`${id}|${objectKey}|${expanded.version}`);
          const processes = live.processes(namespace, object.name);
          const approvals = checkApprovals(desired.approvals, expanded.deployment, expanded.deployment.revision);
          let liveDeployment = live.deployment(namespace, object.name);
          let memoizable = true;
          if (liveDeployment.value === undefined && incremental) {
            // Just created by applySet and not seen by the watch yet: ask once, do not remember.
            const fetched = toLiveDeployment(await backend.get({ apiVersion: object.apiVersion, kind: object.kind, namespace, name: object.name }, signal));
            if (fetched) {
              liveDeployment = { version: -1, value: fetched };
              memoizable = false;
            }
          }
          const inputs: StepInputs = {
            object: objectKey, placements: expanded.version, processes: processes.version, reachability: reach.version,
            liveDeployment: liveDeployment.version, approvals: approvalsKey(approvals),
          };
          const reused = memoizable ? memo.reuse(id, inputs) : undefined;
          const result = reused
            ? { ...reused, status: { ...reused.status, observedCommit: commit } }
            : await deploymentPass(backend, {
              object, deployment: expanded.deployment, placements: expanded.placements, config: desired.config, approvals,
              liveDeployment: liveDeployment.value, live: processes.value, reachable: reach.reachable, now, commit,
            }, signal);
          if (!reused && memoizable) memo.remember(id, inputs, result);
          if (!memoizable) memo.forget(id);
          out.push({ object, result });
          statuses.push(result.status);
        } catch (error) {
          if (signal.aborted) throw error;
          placed.complete = false;
          memo.forget(id);
          const message = `${objectRef(object)}: rollout step failed: ${(error as Error).message}`;
          logger.error({ err: error }, message);
          statuses.push({ kind: object.kind, namespace: object.namespace, name: object.name, observedCommit: commit, phase: "Failed", lastError: message });
        }
      }
    }
    if (incremental) memo.retain(ids);
    return out;
  }
}
