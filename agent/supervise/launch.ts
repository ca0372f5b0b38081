/**
 * What to run for one DeviceProcess (pure): argv with `$(VAR)` references expanded (Kubernetes
 * style; `$(BOSUN_ARTIFACT)` is the verified artifact's path), environment, limits in the units
 * the backends use. Every backend starts from a Launch.
 */
import type { DeviceProcessSpec, RestartPolicy } from "../model.ts";

export interface Launch {
  /** "namespace/name" of the DeviceProcess. */
  key: string;
  /** Unit/script/container base name: "bosun-<namespace>_<name>". */
  unitName: string;
  argv: string[];
  env: Record<string, string>;
  workingDir?: string;
  user?: string;
  restartPolicy: RestartPolicy;
  memoryMaxBytes?: number;
  /** Percent of one CPU (systemd CPUQuota=, podman --cpus ×100). */
  cpuQuotaPercent?: number;
  stopTimeoutSec: number;
  artifactPath: string;
  artifactSha256: string;
  artifactVersion: string;
  /** Container backend: image reference to run. */
  image?: string;
  /** systemd: capabilities kept in the bounding set (empty = none). */
  capabilities: string[];
}

const UNITS: Record<string, number> = {
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  m: 1e-3,
};

/** A Kubernetes quantity ("512Mi", "1.5", "500m", 2) as a number in base units. */
export function parseQuantity(q: string | number): number {
  if (typeof q === "number") return q;
  const m = /^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(q.trim());
  const unit = UNITS[m?.[2] ?? ""];
  if (!m || unit === undefined) throw new Error(`"${q}" is not a Kubernetes quantity (e.g. 500m, 2, 512Mi)`);
  return Number(m[1]) * unit;
}

/** Expands `$(NAME)` from env; `$$(NAME)` stays a literal `$(NAME)`; unknown names are left as written. */
export function expandVars(s: string, env: Record<string, string>): string {
  return s.replace(
    /\$\$\(([A-Za-z_][A-Za-z0-9_]*)\)|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g,
    (all, escaped: string | undefined, name: string | undefined) => {
      if (escaped !== undefined) return `$(${escaped})`;
      const v = name !== undefined ? env[name] : undefined;
      return v ?? all;
    },
  );
}

export interface LaunchInput {
  key: string;
  spec: DeviceProcessSpec;
  /** Resolved environment (valueFrom already looked up). */
  env: Record<string, string>;
  artifactPath: string;
  artifactSha256: string;
  artifactVersion: string;
  stopTimeoutSec: number;
  capabilities?: string[];
  image?: string;
}

export function buildLaunch(input: LaunchInput): Launch {
  const { spec } = input;
  const env = { ...input.env, BOSUN_ARTIFACT: input.artifactPath, BOSUN_ARTIFACT_VERSION: input.artifactVersion };
  const argv = [...spec.execution.command, ...(spec.execution.args ?? [])].map((a) => expandVars(a, env));
  const launch: Launch = {
    key: input.key,
    unitName: `bosun-${input.key.replace(/[^A-Za-z0-9_.-]/g, "_")}`,
    argv,
    env,
    restartPolicy: spec.restartPolicy ?? "Always",
    stopTimeoutSec: input.stopTimeoutSec,
    artifactPath: input.artifactPath,
    artifactSha256: input.artifactSha256,
    artifactVersion: input.artifactVersion,
    capabilities: input.capabilities ?? [],
  };
  if (spec.execution.workingDir !== undefined) launch.workingDir = spec.execution.workingDir;
  if (spec.execution.user !== undefined) launch.user = spec.execution.user;
  const limits = spec.resources?.limits;
  if (limits?.memory !== undefined) launch.memoryMaxBytes = Math.round(parseQuantity(limits.memory));
  if (limits?.cpu !== undefined) launch.cpuQuotaPercent = Math.round(parseQuantity(limits.cpu) * 100);
  if (input.image !== undefined) launch.image = input.image;
  return launch;
}

/** The version the agent reports: spec.artifact.version, else the URL's tag, else the checksum's first 12 hex. */
export function artifactVersionOf(spec: DeviceProcessSpec): string {
  if (spec.artifact.version) return spec.artifact.version;
  if (spec.artifact.type === "oci") {
    const tag = /:([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$/.exec(spec.artifact.url.split("/").pop() ?? "");
    if (tag?.[1]) return tag[1];
  }
  return spec.artifact.checksumSHA256.slice(0, 12);
}
