/**
 * The engine config's `backends.workloadClusters` section: the management clusters (a kubeconfig
 * each) WorkloadClusters name, and the KVM hosts (libvirt URIs) read as hypervisor inventory.
 */
import { UsageError } from "../../engine/index.ts";

export interface ManagementClusterConfig {
  readonly name: string;
  readonly kubeconfig: string;
  readonly context?: string;
  /** Requests per second to this cluster (default 50). */
  readonly qps?: number;
}

export interface KvmHostConfig {
  readonly name: string;
  /** libvirt connection URI, e.g. `qemu:///system` or `qemu+unix:///system?socket=/run/x/libvirt-sock`. */
  readonly uri: string;
}

export interface WorkloadClusterBackendConfig {
  readonly managementClusters: readonly ManagementClusterConfig[];
  readonly kvmHosts: readonly KvmHostConfig[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Reads the section (already schema-checked by the engine config; checked again here for direct callers). */
export function parseWorkloadClusterConfig(value: unknown, where: string): WorkloadClusterBackendConfig {
  const fail = (what: string): never => {
    throw new UsageError(where, `backends.workloadClusters: ${what}`);
  };
  if (!isObject(value)) return fail("must be a mapping");
  const clusters = value["managementClusters"];
  if (!Array.isArray(clusters) || clusters.length === 0) return fail("managementClusters needs at least one entry");
  const seen = new Set<string>();
  const managementClusters = clusters.map((c, i): ManagementClusterConfig => {
    if (!isObject(c) || typeof c["name"] !== "string" || typeof c["kubeconfig"] !== "string")
      return fail(`managementClusters[${i}] needs name and kubeconfig`);
    if (seen.has(c["name"])) return fail(`management cluster ${c["name"]} is listed twice`);
    seen.add(c["name"]);
    return {
      name: c["name"],
      kubeconfig: c["kubeconfig"],
      ...(typeof c["context"] === "string" ? { context: c["context"] } : {}),
      ...(typeof c["qps"] === "number" ? { qps: c["qps"] } : {}),
    };
  });
  const hosts = value["kvmHosts"] ?? [];
  if (!Array.isArray(hosts)) return fail("kvmHosts must be a list");
  const kvmHosts = hosts.map((h, i): KvmHostConfig => {
    if (!isObject(h) || typeof h["name"] !== "string" || typeof h["uri"] !== "string")
      return fail(`kvmHosts[${i}] needs name and uri`);
    return { name: h["name"], uri: h["uri"] };
  });
  return { managementClusters, kvmHosts };
}
