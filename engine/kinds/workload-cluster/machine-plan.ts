/**
 * What a render does to the machines (pure), for `bosun plan`: per control plane and
 * MachineDeployment, the machines a version or machine-template change replaces and the
 * machines a replica change adds or removes.
 */
import type { JsonObject } from "../../model/object-ref.ts";

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {});

/** Label Cluster API (and lab/capi) puts on a MachineDeployment's machines. */
export const DEPLOYMENT_NAME_LABEL = "cluster.x-k8s.io/deployment-name";
/** Label on a control plane's machines (its name). */
export const CONTROL_PLANE_NAME_LABEL = "cluster.x-k8s.io/control-plane-name";

export interface MachineSetPlan {
  readonly kind: string;
  readonly name: string;
  readonly desired: number;
  readonly current: number;
  /** Machines replaced (new version or machine template), by name. */
  readonly replace: readonly string[];
  readonly add: number;
  readonly remove: number;
  readonly fromVersion?: string;
  readonly toVersion?: string;
  readonly maxSurge: number;
  readonly maxUnavailable: number;
}

/** Version and infra template of a MachineDeployment or control plane spec (v1beta2 or v1beta1 shapes). */
export function machineShape(o: JsonObject): { version?: string; template?: string; replicas: number } {
  const spec = obj(o["spec"]);
  const tmpl = obj(obj(spec["template"])["spec"]);
  const version = spec["version"] ?? tmpl["version"];
  const infra = obj(
    tmpl["infrastructureRef"] ??
      obj(spec["machineTemplate"])["infrastructureRef"] ??
      obj(obj(spec["machineTemplate"])["spec"])["infrastructureRef"],
  );
  return {
    ...(typeof version === "string" ? { version } : {}),
    ...(typeof infra["name"] === "string" ? { template: infra["name"] } : {}),
    replicas: typeof spec["replicas"] === "number" ? spec["replicas"] : 1,
  };
}

/**
 * maxSurge / maxUnavailable of a MachineDeployment (v1beta2 spec.rollout.strategy, v1beta1 spec.strategy);
 * control planes surge one.
 */
export function rolloutBudget(o: JsonObject, replicas: number): { maxSurge: number; maxUnavailable: number } {
  const spec = obj(o["spec"]);
  if (o["kind"] !== "MachineDeployment") return { maxSurge: 1, maxUnavailable: 0 };
  const rolling = obj(obj(obj(spec["rollout"])["strategy"])["rollingUpdate"] ?? obj(spec["strategy"])["rollingUpdate"]);
  const value = (v: unknown, fallback: number, up: boolean): number => {
    if (typeof v === "number") return v;
    if (typeof v === "string" && v.endsWith("%")) {
      const n = (Number(v.slice(0, -1)) / 100) * replicas;
      return up ? Math.ceil(n) : Math.floor(n);
    }
    return fallback;
  };
  return { maxSurge: value(rolling["maxSurge"], 1, true), maxUnavailable: value(rolling["maxUnavailable"], 0, false) };
}

/** The machines of one owner a rendered object would replace, add or remove, given the live machines. */
export function planMachines(
  rendered: JsonObject,
  live: JsonObject | undefined,
  machines: readonly JsonObject[],
): MachineSetPlan {
  const want = machineShape(rendered);
  const before = live ? machineShape(live) : undefined;
  const name = String(obj(rendered["metadata"])["name"]);
  const label = rendered["kind"] === "MachineDeployment" ? DEPLOYMENT_NAME_LABEL : CONTROL_PLANE_NAME_LABEL;
  const mine = machines.filter(
    (m) => obj(obj(m["metadata"])["labels"])[label] === name && obj(m["metadata"])["deletionTimestamp"] === undefined,
  );
  const templateChanged = before !== undefined && before.template !== want.template;
  const replace = mine
    .filter((m) => {
      const v = obj(m["spec"])["version"];
      return templateChanged || (want.version !== undefined && v !== want.version);
    })
    .map((m) => String(obj(m["metadata"])["name"]))
    .sort();
  const kept = Math.min(mine.length, want.replicas);
  return {
    kind: String(rendered["kind"]),
    name,
    desired: want.replicas,
    current: mine.length,
    replace: replace.slice(0, Math.max(0, kept - 0)),
    add: Math.max(0, want.replicas - mine.length),
    remove: Math.max(0, mine.length - want.replicas),
    ...(before?.version !== undefined ? { fromVersion: before.version } : {}),
    ...(want.version !== undefined ? { toVersion: want.version } : {}),
    ...rolloutBudget(rendered, want.replicas),
  };
}
