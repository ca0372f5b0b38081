import { dependencyLayers } from "../desired/dependencies.ts";
import type { DesiredState } from "../desired/load-fleet.ts";
import type { KindRegistry } from "../kinds/kind-registry.ts";
import type { ControllerOptions, KindRegistration, RolloutPlan } from "../kinds/registration.ts";
import type { Logger } from "../log/logger.ts";
import { describeRef, refKey, type ObjectRef } from "../model/object-ref.ts";
import type { FleetObject } from "../model/fleet-object.ts";
import { partition } from "../reconcile/partition.ts";
import type { Backend } from "../reconcile/ports.ts";
import { buildPlan, type DependencyStep, type Plan, type PlanInput } from "./plan.ts";

export interface PlanOptions {
  readonly commit: string;
  readonly now: Date;
  readonly backends: readonly Backend[];
  readonly kinds: KindRegistry;
  readonly dependenciesOf: (object: FleetObject, desired: DesiredState) => readonly ObjectRef[];
  readonly logger: Logger;
  readonly heartbeatStaleMs?: number;
  readonly useHeartbeats?: boolean;
}

/** Reads live state through each backend and builds the plan for a desired state. Writes nothing. */
export async function computePlan(desired: DesiredState, options: PlanOptions, signal: AbortSignal): Promise<Plan> {
  const backends = new Map(options.backends.map((b) => [b.name, b]));
  const parts = partition(desired.objects, options.kinds, new Set(backends.keys()), {
    selfHeal: desired.config.defaults.selfHeal,
  });
  const objects: PlanInput["objects"][number][] = [];
  const deletions: PlanInput["deletions"][number][] = [];
  const rollouts: RolloutPlan[] = [];
  const controllerOptions: ControllerOptions = {
    logger: options.logger,
    clock: () => options.now,
    incremental: false,
    heartbeatStaleMs: options.heartbeatStaleMs ?? 300_000,
    useHeartbeats: options.useHeartbeats !== false,
  };
  for (const backend of options.backends) {
    const name = backend.name;
    const routed = parts.byBackend.get(name) ?? [];
    const diffs =
      routed.length > 0
        ? await backend.live.diff(
            routed.map((r) => r.manifest),
            signal,
          )
        : [];
    routed.forEach(({ object, kind }, i) => {
      objects.push({
        kind: object.kind,
        namespace: object.namespace,
        name: object.name,
        diff: diffs[i] ?? { state: "missing", fields: [] },
        ...(kind?.disruption ? { disruption: kind.disruption } : {}),
      });
    });
    if (desired.config.defaults.prune) {
      const wanted = new Set(routed.map((r) => refKey(r.object)));
      for (const r of (await backend.inventory.load(name, signal)).entries) {
        if (!wanted.has(refKey(r))) deletions.push({ kind: r.kind, namespace: r.namespace, name: r.name });
      }
    }
    const driven = new Map<KindRegistration, FleetObject[]>();
    for (const { object, kind } of routed) {
      if (!kind?.controller) continue;
      let list = driven.get(kind);
      if (!list) driven.set(kind, (list = []));
      list.push(object);
    }
    for (const [kind, list] of driven) {
      const controller = (kind.controller as NonNullable<KindRegistration["controller"]>)(backend, controllerOptions);
      rollouts.push(...(await controller.plan({ objects: list, desired, now: options.now, signal })));
    }
  }
  return buildPlan({ commit: options.commit, objects, deletions, rollouts, order: dependencyOrder(desired, options) });
}

/**
 * The steps dependsOn imposes on the objects that take part in it (depend or are depended on):
 * step 1 has no dependencies, each later step depends only on earlier ones.
 */
function dependencyOrder(desired: DesiredState, options: PlanOptions): DependencyStep[] {
  const taking = new Set<string>();
  for (const object of desired.objects) {
    const on = options.dependenciesOf(object, desired);
    if (on.length === 0) continue;
    taking.add(refKey(object));
    for (const d of on) taking.add(refKey(d));
  }
  if (taking.size === 0) return [];
  const objects = desired.objects.filter((o) => taking.has(refKey(o)));
  return dependencyLayers(objects, desired).map((layer) => layer.map((o) => describeRef(o)));
}
