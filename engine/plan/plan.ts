import { digest } from "../kinds/canonical-json.ts";
import type { Deployment } from "../kinds/device-process-deployment/deployment.ts";
import type { RolloutStep } from "../kinds/device-process-deployment/rollout.ts";

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

export interface WavePlan {
  readonly name: string;
  readonly devices: number;
  /** Devices that would get the new revision in this wave. */
  readonly toUpdate: number;
  readonly approval: "required" | "auto";
  /** Required approval for this revision is committed. */
  readonly approved: boolean;
  readonly disruption: Disruption;
}

export interface RolloutPlan {
  readonly namespace: string;
  readonly name: string;
  readonly revision: string;
  readonly strategy: "RollingUpdate" | "Recreate";
  readonly maxUnavailable: number;
  readonly devices: number;
  readonly waves: readonly WavePlan[];
  /** Processes of devices that no longer match. */
  readonly toDelete: number;
}

export interface Plan {
  readonly commit: string;
  /** Digest of everything below: the same changes give the same digest. */
  readonly digest: string;
  readonly changes: readonly PlanChange[];
  readonly rollouts: readonly RolloutPlan[];
  readonly hasChanges: boolean;
}

export interface DiffSummary {
  readonly state: "missing" | "in-sync" | "changed" | "drifted";
  readonly fields: readonly { pointer: string; desired?: unknown; live?: unknown }[];
}

const RESTARTING = [/^\/spec\/template(\/|$)/, /^\/spec\/(artifact|execution|healthCheck|resources|restartPolicy)(\/|$)/, /^\/spec\/(containers|lifecycle|microvm|resourceLimits)(\/|$)/];
const SECRET_KINDS = new Set(["Secret"]);

function show(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Field changes with values, except for Secrets, whose values are never shown. */
export function fieldChanges(kind: string, fields: DiffSummary["fields"]): FieldChange[] {
  return fields.map((f) => SECRET_KINDS.has(kind)
    ? { pointer: f.pointer, ...(f.live !== undefined ? { from: "(redacted)" } : {}), ...(f.desired !== undefined ? { to: "(redacted)" } : {}) }
    : { pointer: f.pointer, ...(f.live !== undefined ? { from: show(f.live) } : {}), ...(f.desired !== undefined ? { to: show(f.desired) } : {}) });
}

export function disruptionOf(kind: string, action: PlanAction, fields: readonly FieldChange[], recreate = false): Disruption {
  if (action === "delete") return "delete";
  if (action === "create" || action === "noop") return "none";
  if (!fields.some((f) => RESTARTING.some((r) => r.test(f.pointer)))) return "none";
  return recreate || kind === "FARAgent" ? "recreate" : "restart";
}

export interface PlanInput {
  readonly commit: string;
  readonly objects: readonly { kind: string; namespace: string; name: string; diff: DiffSummary; recreate?: boolean }[];
  readonly deletions: readonly { kind: string; namespace: string; name: string }[];
  readonly rollouts: readonly { deployment: Deployment; step: RolloutStep; approved: ReadonlySet<string> }[];
}

/** What a commit would do against the live state, grouped for a pull-request comment. Pure. */
export function buildPlan(input: PlanInput): Plan {
  const changes: PlanChange[] = [];
  for (const o of input.objects) {
    const action: PlanAction = o.diff.state === "missing" ? "create" : o.diff.state === "changed" ? "update" : o.diff.state === "drifted" ? "drift" : "noop";
    const fields = fieldChanges(o.kind, o.diff.fields);
    changes.push({ kind: o.kind, namespace: o.namespace, name: o.name, action, disruption: disruptionOf(o.kind, action, fields, o.recreate), fields });
  }
  for (const d of input.deletions) changes.push({ ...d, action: "delete", disruption: "delete", fields: [] });
  changes.sort((a, b) => `${a.kind}/${a.namespace}/${a.name}` < `${b.kind}/${b.namespace}/${b.name}` ? -1 : 1);
  const rollouts: RolloutPlan[] = input.rollouts.map(({ deployment, step, approved }) => ({
    namespace: deployment.namespace,
    name: deployment.name,
    revision: step.revision,
    strategy: deployment.strategy,
    maxUnavailable: step.maxUnavailable,
    devices: step.waves.reduce((n, w) => n + w.total, 0),
    toDelete: step.toDelete.length,
    waves: step.waves.map((w) => ({
      name: w.name, devices: w.total, toUpdate: w.toUpdate, approval: w.approval,
      approved: w.approval === "auto" || approved.has(w.name),
      disruption: w.toUpdate === 0 ? "none" : deployment.strategy === "Recreate" ? "recreate" : "restart",
    })),
  }));
  const hasChanges = changes.some((c) => c.action !== "noop") || rollouts.some((r) => r.toDelete > 0 || r.waves.some((w) => w.toUpdate > 0));
  const body = { changes, rollouts };
  return { commit: input.commit, digest: digest(body, 16), ...body, hasChanges };
}
