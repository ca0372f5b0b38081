import type { CachedKind } from "../../clients/kubernetes/watch-cache.ts";

/** Device inventory kinds (read, never written by Bosun). */
export const INVENTORY_KINDS: readonly CachedKind[] = ["NetworkSwitch", "SOC", "BMC", "Server", "DPU"].map((kind) => ({ apiVersion: "azure.com/v1alpha1", kind }));

/** The kinds Bosun writes and watches. */
export const MANAGED_KINDS: readonly CachedKind[] = [
  { apiVersion: "azure.com/v1alpha1", kind: "DeviceProcessDeployment" },
  { apiVersion: "azure.com/v1alpha1", kind: "DeviceProcess" },
  { apiVersion: "agents.tinkerbell.io/v1alpha1", kind: "FARAgent" },
];
