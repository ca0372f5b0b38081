import approval from "../../schemas/Approval.json" with { type: "json" };
import bmc from "../../schemas/BMC.json" with { type: "json" };
import bosunConfig from "../../schemas/BosunConfig.json" with { type: "json" };
import common from "../../schemas/common.json" with { type: "json" };
import deviceProcess from "../../schemas/DeviceProcess.json" with { type: "json" };
import deviceProcessDeployment from "../../schemas/DeviceProcessDeployment.json" with { type: "json" };
import dpu from "../../schemas/DPU.json" with { type: "json" };
import edgeWorkload from "../../schemas/EdgeWorkload.json" with { type: "json" };
import farAgent from "../../schemas/FARAgent.json" with { type: "json" };
import networkSwitch from "../../schemas/NetworkSwitch.json" with { type: "json" };
import server from "../../schemas/Server.json" with { type: "json" };
import soc from "../../schemas/SOC.json" with { type: "json" };
import tenantCluster from "../../schemas/TenantCluster.json" with { type: "json" };
import workloadCluster from "../../schemas/WorkloadCluster.json" with { type: "json" };

/** What `x-bosun` says about a kind in its schema file. */
export interface KindInfo {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespaced: boolean;
  /** Read from the cluster (devices), not written by Bosun. */
  readonly inventory?: boolean;
  /** Read by the engine itself (bosun.yaml, approvals), never applied. */
  readonly engineOnly?: boolean;
}

export interface KindSchema {
  readonly info: KindInfo;
  readonly schema: Record<string, unknown>;
}

/** The shared definitions every kind schema refers to. */
export const commonSchema: Record<string, unknown> = common;

/** Every fleet kind Bosun knows, keyed by `apiVersion|kind`. */
export const bosunKinds: ReadonlyMap<string, KindSchema> = new Map(
  [approval, bmc, bosunConfig, deviceProcess, deviceProcessDeployment, dpu, edgeWorkload, farAgent, networkSwitch, server, soc, tenantCluster, workloadCluster]
    .map((schema) => {
      const info = schema["x-bosun"] as KindInfo;
      return [kindId(info.apiVersion, info.kind), { info, schema: schema as Record<string, unknown> }] as const;
    }),
);

/** API groups owned by Bosun's kinds: an unknown kind in one of these is a typo, not a CRD. */
export const bosunGroups: ReadonlySet<string> = new Set([...bosunKinds.values()].map((k) => groupOf(k.info.apiVersion)));

export function kindId(apiVersion: string, kind: string): string {
  return `${apiVersion}|${kind}`;
}

/** `apps/v1` → `apps`; `v1` → `` (the core group). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}
