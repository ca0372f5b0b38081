import schema from "../../../schemas/TenantCluster.json" with { type: "json" };
import type { KindRegistration } from "../registration.ts";

/** A Kamaji control plane with a Proxmox worker pool (seed 001): validated; its backend comes later. */
export const tenantClusterKind: KindRegistration = {
  apiVersion: "fleet.bosun.dev/v1alpha1",
  kind: "TenantCluster",
  namespaced: true,
  role: "applied",
  schema,
};
