import { digest } from "../kinds/canonical-json.ts";
import type { KindRegistration, RolloutPlan } from "../kinds/registration.ts";

export type PlanAction = "create" | "update" | "delete" | "drift" | "noop";
/** How much an applied change disturbs what runs: nothing, a process restart, a full replacement, a removal. */
export type Disruption = "none" | "restart" | "recreate" | "delete";

export interface FieldChange {
  readonly pointer: string;
  readonly from?: string;
  readonly to?: string;
}

export interface PlanChange {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly action: PlanAction;
  readonly disruption: Disruption;
  readonly fields: readonly FieldChange[];
}

export type { RolloutPlan, WavePlan } from "../kinds/registration.ts";

/** One step of the dependency order: objects in a step wait for the steps before them to be Ready. */
export type DependencyStep = readonly string[];

export interface Plan {
  readonly commit: string;
  /** Digest of everything below: the same changes give the same digest. */
  readonly digest: string;
  readonly changes: readonly PlanChange[];
  readonly rollouts: readonly RolloutPlan[];
  /** The order dependsOn imposes (only objects that depend or are depended on), step by step. */
  readonly order: readonly DependencyStep[];
  readonly hasChanges: boolean;
}

export interface DiffSummary {
  readonly state: "missing" | "in-sync" | "changed" | "drifted";
  readonly fields: readonly { pointer: string; desired?: unknown; live?: unknown }[];
}

/** Plain manifests: a change of a pod template restarts what runs (Deployments, StatefulSets, DaemonSets, Jobs). */
const DEFAULT_DISRUPTION: NonNullable<KindRegistration["disruption"]> = {
  of: "restart",
  fields: [/^\/spec\/(template|jobTemplate)(\/|$)/],
};
const SECRET_KINDS = new Set(["Secret"]);

function show(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Field changes with values, except for Secrets, whose values are never shown. */
export function fieldChanges(kind: string, fields: DiffSummary["fields"]): FieldChange[] {
  return fields.map((f) =>
    SECRET_KINDS.has(kind)
      ? {
          pointer: f.pointer,
          ...(f.live !== undefined ? { from: "(redacted)" } : {}),
          ...(f.desired !== undefined ? { to: "(redacted)" } : {}),
        }
      : {
          pointer: f.pointer,
          ...(f.live !== undefined ? { from: show(f.live) } : {}),
          ...(f.desired !== undefined ? { to: show(f.desired) } : {}),
        },
  );
}

/** What applying a change disturbs, by the kind's disruption rule (plain manifests: their pod template). */
export function disruptionOf(
  rule: KindRegistration["disruption"],
  action: PlanAction,
  fields: readonly FieldChange[],
): Disruption {
  if (action === "delete") return "delete";
  if (action === "create" || action === "noop") return "none";
  const { of, fields: pointers } = rule ?? DEFAULT_DISRUPTION;
  return fields.some((f) => pointers.some((r) => r.test(f.pointer))) ? of : "none";
}

export interface PlanInput {
  readonly commit: string;
  readonly objects: readonly {
    kind: string;
    namespace: string;
    name: string;
    diff: DiffSummary;
    disruption?: KindRegistration["disruption"];
  }[];
  readonly deletions: readonly { kind: string; namespace: string; name: string }[];
  readonly rollouts: readonly RolloutPlan[];
  readonly order?: readonly DependencyStep[];
}

/** What a commit would do against the live state, grouped for a pull-request comment. Pure. */
export function buildPlan(input: PlanInput): Plan {
  const changes: PlanChange[] = [];
  for (const o of input.objects) {
    const action: PlanAction =
      o.diff.state === "missing"
        ? "create"
        : o.diff.state === "changed"
          ? "update"
          : o.diff.state === "drifted"
            ? "drift"
            : "noop";
    const fields = fieldChanges(o.kind, o.diff.fields);
    changes.push({
      kind: o.kind,
      namespace: o.namespace,
      name: o.name,
      action,
      disruption: disruptionOf(o.disruption, action, fields),
      fields,
    });
  }
  for (const d of input.deletions) changes.push({ ...d, action: "delete", disruption: "delete", fields: [] });
  changes.sort((a, b) => (`${a.kind}/${a.namespace}/${a.name}` < `${b.kind}/${b.namespace}/${b.name}` ? -1 : 1));
  const rollouts = [...input.rollouts].sort((a, b) =>
    `${a.kind}/${a.namespace}/${a.name}` < `${b.kind}/${b.namespace}/${b.name}` ? -1 : 1,
  );
  const hasChanges =
    changes.some((c) => c.action !== "noop") ||
    rollouts.some((r) => r.toDelete > 0 || r.waves.some((w) => w.toUpdate > 0) || (r.objects?.length ?? 0) > 0);
  const order = input.order ?? [];
  const body = { changes, rollouts };
  // The order is part of what is planned only when there is one (digests of plans without dependsOn stay as they were).
  return {
    commit: input.commit,
    digest: digest(order.length > 0 ? { ...body, order } : body, 16),
    ...body,
    order,
    hasChanges,
  };
}
