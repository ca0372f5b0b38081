/**
 * What the simulator reads from a DeviceProcess (pure): a compact view, never the whole object.
 */
import type { KubeObject } from "../../clients/kubernetes/types.ts";

export const DP_API_VERSION = "azure.com/v1alpha1";
export const DP_KIND = "DeviceProcess";
/** Labels the engine puts on every DeviceProcess. */
export const DEVICE_LABEL = "bosun.dev/device";
export const REVISION_LABEL = "bosun.dev/revision";

export interface ProcessView {
  readonly name: string;
  readonly device: string;
  readonly generation: number;
  /** Changes whenever what the agent must run changes (artifact URL/checksum/version, generation). */
  readonly specKey: string;
  readonly version: string;
  readonly url: string;
  readonly labels: Readonly<Record<string, string>>;
  /** What the status currently says (to adopt processes already rolled by an earlier run). */
  readonly observed: {
    readonly phase?: string;
    readonly observedGeneration?: number;
    readonly artifactVersion?: string;
  };
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/**
 * The version the agent reports: spec.artifact.version, else the OCI tag, else the checksum's first 12 hex (as
 * agent/supervise/launch.ts).
 */
export function artifactVersionOf(artifact: {
  type?: string;
  url?: string;
  version?: string;
  checksumSHA256?: string;
}): string {
  if (artifact.version !== undefined && artifact.version !== "") return artifact.version;
  if (artifact.type === "oci" && artifact.url !== undefined) {
    const tag = /:([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$/.exec(artifact.url.split("/").pop() ?? "");
    if (tag?.[1]) return tag[1];
  }
  return (artifact.checksumSHA256 ?? "").slice(0, 12) || "unknown";
}

export function processView(o: KubeObject): ProcessView {
  const labels = o.metadata.labels ?? {};
  const spec = obj(o["spec"]);
  const a = obj(spec["artifact"]);
  const artifact = {
    ...(str(a["type"]) !== undefined ? { type: str(a["type"]) as string } : {}),
    url: str(a["url"]) ?? "",
    ...(str(a["version"]) !== undefined ? { version: str(a["version"]) as string } : {}),
    ...(str(a["checksumSHA256"]) !== undefined ? { checksumSHA256: str(a["checksumSHA256"]) as string } : {}),
  };
  const generation = o.metadata.generation ?? 0;
  const status = obj(o["status"]);
  const phase = str(status["phase"]);
  const og = status["observedGeneration"];
  const av = str(status["artifactVersion"]);
  return {
    name: o.metadata.name,
    device: labels[DEVICE_LABEL] ?? str(obj(spec["deviceRef"])["name"]) ?? "",
    generation,
    specKey: `${generation}|${artifact.url}|${artifact.checksumSHA256 ?? ""}|${artifact.version ?? ""}`,
    version: artifactVersionOf(artifact),
    url: artifact.url,
    labels,
    observed: {
      ...(phase !== undefined ? { phase } : {}),
      ...(typeof og === "number" ? { observedGeneration: og } : {}),
      ...(av !== undefined ? { artifactVersion: av } : {}),
    },
  };
}
