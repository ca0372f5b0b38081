import type { DesiredState } from "../desired/load-fleet.ts";
import { percent } from "../kinds/device-process-deployment/deployment.ts";
import { toLiveProcess, type LiveProcess } from "../kinds/device-process/live-process.ts";
import type { Logger } from "../log/logger.ts";
import { Labels } from "../model/device.ts";
import { objectRef, type FleetObject } from "../model/fleet-object.ts";
import type { ApplyContext, DesiredStateConsumer } from "../loop/consumer.ts";
import type { ObjectStatus } from "../status/types.ts";
import { deploymentPass, type DeploymentPassResult } from "./deployment-pass.ts";
import { partition } from "./partition.ts";
import type { Change, FleetBackend } from "./ports.ts";

export const MASS_DELETION_ANNOTATION = "bosun.dev/allow-mass-deletion";

export interface FleetReconcilerOptions {
  readonly backend: FleetBackend;
  readonly logger: Logger;
  /** Devices whose Lease is older than this are unreachable (default 5 min). */
  readonly heartbeatStaleMs?: number;
  /** Use device Leases to tell unreachable devices apart (default true). */
  readonly useHeartbeats?: boolean;
  readonly clock?: () => Date;
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
  constructor(private readonly options: FleetReconcilerOptions) {}

  async apply(desired: DesiredState, context: ApplyContext): Promise<readonly ObjectStatus[]> {
    const { backend, logger } = this.options;
    const { signal, commit } = context;
    const now = (this.options.clock ?? (() => new Date()))();
    const parts = partition(desired.objects);
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

    const deployments: PassReport["deployments"][number][] = [];
    if (parts.deployments.length > 0) {
      const devices = await backend.listDevices(signal);
      const namespaces = [...new Set(parts.deployments.map((d) => d.namespace))].sort();
      for (const namespace of namespaces) {
        const processes = (await backend.listDeploymentProcesses(namespace, signal)).map(toLiveProcessWithOwner);
        const heartbeats = this.options.useHeartbeats === false ? undefined : await backend.heartbeats(namespace, signal);
        for (const object of parts.deployments.filter((d) => d.namespace === namespace)) {
          const live = new Map<string, LiveProcess>();
          for (const p of processes) if (p.deployment === object.name) live.set(p.process.name, p.process);
          const change = byRef.get(`${object.kind}/${object.namespace}/${object.name}`);
          if (change?.error !== undefined) {
            statuses.push(statusOfChange(object, change, commit, undefined));
            continue;
          }
          try {
            const result = await deploymentPass(backend, {
              object, config, approvals: desired.approvals, devices, live, heartbeats,
              heartbeatStaleMs: this.options.heartbeatStaleMs ?? 300_000, now, commit,
            }, signal);
            deployments.push({ object, result });
            statuses.push(result.status);
          } catch (error) {
            if (signal.aborted) throw error;
            const message = `${objectRef(object)}: rollout step failed: ${(error as Error).message}`;
            logger.error({ err: error }, message);
            statuses.push({ kind: object.kind, namespace: object.namespace, name: object.name, observedCommit: commit, phase: "Failed", lastError: message });
          }
        }
      }
    }
    const progressing = deployments.some((d) => d.result.step.phase === "Progressing");
    this.options.onPass?.({ commit, changes: set.changes, deployments, ...(set.pruneRefused ? { pruneRefused: set.pruneRefused } : {}), progressing });
    return statuses;
  }
}

function toLiveProcessWithOwner(object: Record<string, unknown>): { deployment: string; process: LiveProcess } {
  const labels = (((object["metadata"] ?? {}) as Record<string, unknown>)["labels"] ?? {}) as Record<string, string>;
  return { deployment: labels[Labels.deployment] ?? "", process: toLiveProcess(object) };
}
