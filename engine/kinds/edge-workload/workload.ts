/**
 * An EdgeWorkload read once (seed 002): its containers as Flightctl `container` applications, where
 * they go (a fleet's template, or the devices a selector picks outside any fleet), its rollout
 * (waves, maxUnavailable, success threshold) and its revision, a digest of both.
 */
import type { FleetObject } from "../../model/fleet-object.ts";
import { percent } from "../../rollout/max-unavailable.ts";
import { digest } from "../canonical-json.ts";
import { compileSelector, type LabelSelector, type Matcher } from "../selector.ts";

type Json = Record<string, unknown>;

/** A Flightctl `container` application as Bosun writes it (plain JSON, spec field names). */
export interface EdgeApplication {
  readonly appType: "container";
  readonly name: string;
  readonly image: string;
  readonly envVars?: Readonly<Record<string, string>>;
  readonly ports?: readonly string[];
  readonly resources?: { readonly limits: { readonly cpu?: string; readonly memory?: string } };
}

export interface EdgeWave {
  readonly name: string;
  readonly selector?: LabelSelector;
  readonly matches: Matcher;
  /** Devices this wave takes at most (count or "N%" of the devices its selector matches). */
  readonly limit?: number | string;
  readonly approval: "required" | "auto";
  /** 0..1 */
  readonly successThreshold: number;
  /** Declared in Git (false: the implicit trailing wave that takes the rest). */
  readonly declared: boolean;
}

export interface EdgeWorkload {
  readonly object: FleetObject;
  readonly namespace: string;
  readonly name: string;
  /** `namespace/name`. */
  readonly key: string;
  readonly mode: "fleet" | "devices";
  readonly fleet?: string;
  readonly deviceSelector?: LabelSelector;
  readonly selects?: Matcher;
  readonly applications: readonly EdgeApplication[];
  readonly maxUnavailable: number | string;
  readonly successThreshold: number;
  readonly waves: readonly EdgeWave[];
  /** Digest of the applications and the rollout: what approvals name. */
  readonly revision: string;
  /** Digest of the rollout strategy alone (one per fleet: the fleet has one rolloutPolicy). */
  readonly strategyDigest: string;
  /** Requests of all containers summed (the virtual node and capacity checks read them). */
  readonly requests: { readonly cpuMilli: number; readonly memoryBytes: number };
}

export const REMAINING_WAVE = "remaining";

/** Kubernetes quantity → milli-units (cpu) or bytes (memory); NaN when unreadable. */
export function quantity(value: unknown): number {
  if (typeof value === "number") return value;
  const m = /^([0-9.]+)(m|k|Ki|M|Mi|G|Gi|T|Ti)?$/.exec(String(value ?? ""));
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  const unit: Record<string, number> = {
    m: 1e-3,
    k: 1e3,
    Ki: 1024,
    M: 1e6,
    Mi: 1024 ** 2,
    G: 1e9,
    Gi: 1024 ** 3,
    T: 1e12,
    Ti: 1024 ** 4,
  };
  return n * (m[2] ? (unit[m[2]] ?? 1) : 1);
}

/** `500m` → `0.5` cores; `256Mi` → `256m` (podman's units), as Flightctl's container limits take them. */
function cpuLimit(v: unknown): string | undefined {
  const cores = quantity(v);
  return Number.isFinite(cores) ? String(Math.round(cores * 1000) / 1000) : undefined;
}

function memoryLimit(v: unknown): string | undefined {
  const bytes = quantity(v);
  if (!Number.isFinite(bytes)) return undefined;
  if (bytes % 1024 ** 3 === 0) return `${bytes / 1024 ** 3}g`;
  if (bytes % 1024 ** 2 === 0) return `${bytes / 1024 ** 2}m`;
  if (bytes % 1024 === 0) return `${bytes / 1024}k`;
  return String(bytes);
}

/** The name of container `c`'s application: the workload's name, or `<workload>-<container>` for several. */
export function applicationName(workload: string, container: string, containers: number): string {
  return containers === 1 ? workload : `${workload}-${container}`;
}

/** Pod-like containers → Flightctl `container` applications (ports `host:container`, limits in podman units). */
export function toApplications(name: string, containers: readonly Json[]): EdgeApplication[] {
  return containers.map((c) => {
    const env: Record<string, string> = {};
    for (const e of (c["env"] ?? []) as Json[]) env[String(e["name"])] = String(e["value"] ?? "");
    const ports = ((c["ports"] ?? []) as Json[]).map(
      (p) => `${String(p["hostPort"] ?? p["containerPort"])}:${String(p["containerPort"])}`,
    );
    const limits = ((c["resources"] as Json | undefined)?.["limits"] ?? {}) as Json;
    const cpu = limits["cpu"] === undefined ? undefined : cpuLimit(limits["cpu"]);
    const memory = limits["memory"] === undefined ? undefined : memoryLimit(limits["memory"]);
    return {
      appType: "container" as const,
      name: applicationName(name, String(c["name"]), containers.length),
      image: String(c["image"]),
      ...(Object.keys(env).length > 0 ? { envVars: env } : {}),
      ...(ports.length > 0 ? { ports } : {}),
      ...(cpu !== undefined || memory !== undefined
        ? {
            resources: {
              limits: { ...(cpu !== undefined ? { cpu } : {}), ...(memory !== undefined ? { memory } : {}) },
            },
          }
        : {}),
    };
  });
}

/** Defaults of `spec.strategy` (fixed, not bosun.yaml's: the sink writes the same policy without the repo config). */
export const EDGE_DEFAULTS = { maxUnavailable: "10%", successThreshold: "90%" } as const;

type WorkloadSource = Pick<FleetObject, "namespace" | "name" | "body"> & Partial<FleetObject>;

/** Reads a validated EdgeWorkload (schema defaults applied). */
export function readWorkload(source: WorkloadSource): EdgeWorkload {
  const object = source as FleetObject;
  const spec = object.body["spec"] as Json;
  const strategy = (spec["strategy"] ?? {}) as Json;
  const threshold = percent(String(strategy["successThreshold"] ?? EDGE_DEFAULTS.successThreshold));
  const declared = ((strategy["waves"] ?? []) as Json[]).map((w): EdgeWave => ({
    name: String(w["name"]),
    ...(w["selector"] !== undefined ? { selector: w["selector"] as LabelSelector } : {}),
    matches: w["selector"] === undefined ? () => true : compileSelector(w["selector"] as LabelSelector),
    ...(w["limit"] !== undefined ? { limit: w["limit"] as number | string } : {}),
    approval: w["approval"] === "required" ? "required" : "auto",
    successThreshold: w["successThreshold"] === undefined ? threshold : percent(String(w["successThreshold"])),
    declared: true,
  }));
  const last = declared.at(-1);
  const waves: EdgeWave[] =
    last === undefined || last.selector !== undefined || last.limit !== undefined
      ? [
          ...declared,
          { name: REMAINING_WAVE, matches: () => true, approval: "auto", successThreshold: threshold, declared: false },
        ]
      : declared;
  const containers = spec["containers"] as Json[];
  const applications = toApplications(object.name, containers);
  const maxUnavailable = (strategy["maxUnavailable"] as number | string | undefined) ?? EDGE_DEFAULTS.maxUnavailable;
  const requests = containers.reduce(
    (sum: { cpuMilli: number; memoryBytes: number }, c) => {
      const res = (c["resources"] ?? {}) as Json;
      const want = ((res["requests"] ?? res["limits"] ?? {}) as Json) ?? {};
      const cpu = quantity(want["cpu"]);
      const mem = quantity(want["memory"]);
      return {
        cpuMilli: sum.cpuMilli + (Number.isFinite(cpu) ? cpu * 1000 : 0),
        memoryBytes: sum.memoryBytes + (Number.isFinite(mem) ? mem : 0),
      };
    },
    { cpuMilli: 0, memoryBytes: 0 },
  );
  const strategyView = { maxUnavailable, threshold, waves: declared.map(({ matches: _m, ...w }) => w) };
  const selector = spec["deviceSelector"] as LabelSelector | undefined;
  return {
    object,
    namespace: object.namespace,
    name: object.name,
    key: `${object.namespace}/${object.name}`,
    mode: spec["fleet"] !== undefined ? "fleet" : "devices",
    ...(spec["fleet"] !== undefined ? { fleet: String(spec["fleet"]) } : {}),
    ...(selector ? { deviceSelector: selector, selects: compileSelector(selector) } : {}),
    applications,
    maxUnavailable,
    successThreshold: threshold,
    waves,
    revision: digest({ applications, strategy: strategyView }, 12),
    strategyDigest: digest(strategyView, 12),
    requests,
  };
}

/** Flightctl's LabelSelector query is ANDed requirements; Bosun's waves give their selectors as they are. */
export function flightctlSelector(selector: LabelSelector): Json {
  return {
    ...(selector.matchLabels ? { matchLabels: { ...selector.matchLabels } } : {}),
    ...(selector.matchExpressions ? { matchExpressions: selector.matchExpressions.map((e) => ({ ...e })) } : {}),
  };
}
