import type { DesiredState } from "../desired/load-fleet.ts";
import { massDeletionOptIn } from "../inventory/index.ts";
import { percent } from "../rollout/max-unavailable.ts";
import type { KindRegistry } from "../kinds/kind-registry.ts";
import type { ControllerOptions, KindController, KindRegistration, RolloutReport } from "../kinds/registration.ts";
import type { Logger } from "../log/logger.ts";
import type { ApplyContext, DesiredStateConsumer } from "../loop/consumer.ts";
import { changedPointers, type Change } from "../model/change.ts";
import { objectRef, type FleetObject } from "../model/fleet-object.ts";
import { refKey, type ObjectRef } from "../model/object-ref.ts";
import type { ObjectStatus } from "../status/types.ts";
import { backendPass } from "./backend-pass.ts";
import { gateDependencies, type Held } from "./dependency-gate.ts";
import { partition, type Partition, type Routed } from "./partition.ts";
import type { Backend } from "./ports.ts";

export interface FleetReconcilerOptions {
  /** The backends this engine runs, by name (registered in app/). */
  readonly backends: readonly Backend[];
  /** The kinds it knows (default: Bosun's built-in kinds). */
  readonly kinds: KindRegistry;
  /** Resolved dependencies of an object (`spec.dependsOn`, `bosun.dev/depends-on`); [] when none. */
  readonly dependenciesOf: (object: FleetObject, desired: DesiredState) => readonly ObjectRef[];
  readonly logger: Logger;
  /** Targets whose heartbeat is older than this are unreachable (default 5 min). */
  readonly heartbeatStaleMs?: number;
  /** Use heartbeats to tell unreachable targets apart (default true). */
  readonly useHeartbeats?: boolean;
  readonly clock?: () => Date;
  /** Reuse what did not change between passes (default true); false = list everything every pass (the reference). */
  readonly incremental?: boolean;
  /** Called after each pass with what changed and how the rollouts stand (progress output, metrics). */
  readonly onPass?: (report: PassReport) => void;
}

export interface PassReport {
  readonly commit: string;
  /** Every change of the pass: objects, prunes, and the controllers' writes (targets, generated objects). */
  readonly changes: readonly Change[];
  readonly rollouts: readonly RolloutReport[];
  readonly pruneRefused?: string;
  /** True while a rollout can progress on its own or an object waits for a dependency: come back soon. */
  readonly progressing: boolean;
}

function base(
  object: FleetObject,
  commit: string,
): Pick<ObjectStatus, "kind" | "namespace" | "name" | "source" | "observedCommit"> {
  return {
    kind: object.kind,
    namespace: object.namespace,
    name: object.name,
    source: `${object.source.file}:${object.source.line}`,
    observedCommit: commit,
  };
}

function statusOfChange(
  object: FleetObject,
  change: Change | undefined,
  commit: string,
  pruneRefused: string | undefined,
): ObjectStatus {
  if (!change)
    return { ...base(object, commit), phase: "Unknown", lastError: "the backend reported nothing for this object" };
  if (change.error !== undefined) {
    const error = change.error.message;
    return {
      ...base(object, commit),
      phase: "Failed",
      lastError: error,
      conditions: [{ type: "Ready", status: "False", reason: "ApplyFailed", message: error }],
    };
  }
  const fields = changedPointers(change);
  const message = fields.length > 0 ? `${change.reason}: ${fields.join(", ")}` : change.reason;
  const skipped = change.action === "skipped";
  // An out-of-band edit (corrected or, with self-heal off, left alone): per field, live against desired.
  const drift = change.reason.startsWith("drift") && change.fields?.length ? change.fields : undefined;
  return {
    ...base(object, commit),
    phase: skipped ? "Skipped" : "Ready",
    conditions: [{ type: "Ready", status: skipped ? "False" : "True", reason: change.action, message }],
    ...(drift ? { drift } : {}),
    ...(pruneRefused ? { lastError: pruneRefused } : {}),
  };
}

function waitingStatus(held: Held, commit: string): ObjectStatus {
  return {
    ...base(held.object, commit),
    phase: "Waiting",
    conditions: [{ type: "Ready", status: "False", reason: "DependencyNotReady", message: held.waitingFor }],
  };
}

/**
 * The consumer the loop hands each valid desired state to. One pass, the same for every backend:
 *
 *   route      each object to its kind's backend (or inventory, or NotReconciled)
 *   gate       objects whose dependencies are not Ready wait for a later pass
 *   reconcile  per backend: apply → observe → prune by inventory → record inventory
 *   drive      each kind's controller (rollouts, expansion) over its applied objects
 *   report     one status per object, and a PassReport
 */
export class FleetReconciler implements DesiredStateConsumer {
  private readonly backends: ReadonlyMap<string, Backend>;
  private readonly sortedBackends: readonly Backend[];
  private readonly controllers = new Map<string, KindController>();
  private lastPartition: { objects: readonly FleetObject[]; parts: Partition } | undefined;

  constructor(private readonly options: FleetReconcilerOptions) {
    this.backends = new Map(options.backends.map((b) => [b.name, b]));
    this.sortedBackends = [...options.backends].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async apply(desired: DesiredState, context: ApplyContext): Promise<readonly ObjectStatus[]> {
    const { signal, commit } = context;
    const now = (this.options.clock ?? (() => new Date()))();
    const parts = this.route(desired);
    const held = await this.gate(parts, desired, signal);

    const statuses: ObjectStatus[] = [
      ...this.inventoryStatuses(parts, commit),
      ...this.notReconciledStatuses(parts, commit),
    ];
    const changes: Change[] = [];
    const rollouts: RolloutReport[] = [];
    const refused: string[] = [];
    // Every backend gets its pass, also one with no desired objects left: what Bosun applied there is pruned.
    for (const backend of this.sortedBackends) {
      const name = backend.name;
      const routed = parts.byBackend.get(name) ?? [];
      const result = await this.reconcileBackend(backend, routed, held, desired, signal);
      if (result.pruneRefused) {
        this.options.logger.warn({ commit, backend: name }, result.pruneRefused);
        refused.push(result.pruneRefused);
      }
      changes.push(...result.changes);
      const byRef = new Map(result.changes.map((c) => [refKey(c.ref), c]));
      const driven = new Map<KindRegistration, FleetObject[]>();
      for (const { object, kind } of routed) {
        const hold = held.get(refKey(object));
        if (hold) statuses.push(waitingStatus(hold, commit));
        else if (kind?.controller) {
          let list = driven.get(kind);
          if (!list) driven.set(kind, (list = []));
          list.push(object);
        } else statuses.push(statusOfChange(object, byRef.get(refKey(object)), commit, result.pruneRefused));
      }
      for (const [kind, objects] of driven) {
        const out = await this.controllerOf(kind, backend).reconcile({
          objects,
          desired,
          changes: byRef,
          commit,
          now,
          signal,
        });
        statuses.push(...out.statuses);
        changes.push(...out.changes);
        rollouts.push(...out.rollouts);
      }
    }
    const progressing = held.size > 0 || rollouts.some((r) => r.progressing);
    this.options.onPass?.({
      commit,
      changes,
      rollouts,
      ...(refused.length > 0 ? { pruneRefused: refused.join("; ") } : {}),
      progressing,
    });
    return statuses;
  }

  /** The controller of a kind on a backend, made once and kept (it remembers between passes). */
  controllerOf(kind: KindRegistration, backend: Backend): KindController {
    const id = `${kind.apiVersion}|${kind.kind}|${backend.name}`;
    let controller = this.controllers.get(id);
    if (!controller) {
      const make = kind.controller as NonNullable<KindRegistration["controller"]>;
      this.controllers.set(id, (controller = make(backend, this.controllerOptions())));
    }
    return controller;
  }

  controllerOptions(): ControllerOptions {
    return {
      logger: this.options.logger,
      clock: this.options.clock ?? (() => new Date()),
      incremental: this.options.incremental !== false,
      heartbeatStaleMs: this.options.heartbeatStaleMs ?? 300_000,
      useHeartbeats: this.options.useHeartbeats !== false,
    };
  }

  private async reconcileBackend(
    backend: Backend,
    routed: readonly Routed[],
    held: ReadonlyMap<string, Held>,
    desired: DesiredState,
    signal: AbortSignal,
  ) {
    const config = desired.config;
    const manifests =
      held.size === 0
        ? routed.map((r) => r.manifest)
        : routed.filter((r) => !held.has(refKey(r.object))).map((r) => r.manifest);
    const heldRefs: ObjectRef[] =
      held.size === 0 ? [] : routed.filter((r) => held.has(refKey(r.object))).map((r) => r.object);
    return backendPass(backend, manifests, {
      prune: config.defaults.prune,
      maxDeletionShare: percent(config.defaults.maxDeletionShare),
      allowMassDeletion: massDeletionOptIn(config.annotations),
      held: heldRefs,
      signal,
    });
  }

  private route(desired: DesiredState): Partition {
    if (this.lastPartition?.objects !== desired.objects) {
      this.lastPartition = {
        objects: desired.objects,
        parts: partition(desired.objects, this.options.kinds, new Set(this.backends.keys()), {
          selfHeal: desired.config.defaults.selfHeal,
        }),
      };
    }
    return this.lastPartition.parts;
  }

  private async gate(parts: Partition, desired: DesiredState, signal: AbortSignal): Promise<Map<string, Held>> {
    const dependent: { object: FleetObject; dependsOn: readonly ObjectRef[] }[] = [];
    const backendByRef = new Map<string, Backend>();
    for (const [name, routed] of parts.byBackend) {
      for (const { object } of routed) {
        backendByRef.set(refKey(object), this.backends.get(name) as Backend);
        const dependsOn = this.options.dependenciesOf(object, desired);
        if (dependsOn.length > 0) dependent.push({ object, dependsOn });
      }
    }
    return gateDependencies({
      dependent,
      backendOf: (ref) => backendByRef.get(refKey(ref)),
      kinds: this.options.kinds,
      signal,
    });
  }

  private inventoryStatuses(parts: Partition, commit: string): ObjectStatus[] {
    return parts.inventory.map((object) => ({
      kind: object.kind,
      namespace: object.namespace,
      name: object.name,
      observedCommit: commit,
      phase: "Inventory",
      conditions: [
        {
          type: "Ready",
          status: "Unknown",
          reason: "InventoryKind",
          message: "inventory is read from the cluster, not written by Bosun",
        },
      ],
    }));
  }

  private notReconciledStatuses(parts: Partition, commit: string): ObjectStatus[] {
    return parts.notReconciled.map(({ object, reason }) => ({
      ...base(object, commit),
      phase: "NotReconciled",
      conditions: [
        {
          type: "Ready",
          status: "Unknown",
          reason: "NoBackend",
          message: `${objectRef(object)} is valid, but ${reason}; nothing was applied`,
        },
      ],
    }));
  }
}
