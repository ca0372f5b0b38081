import schema from "../../../schemas/TenantCluster.json" with { type: "json" };
import { field } from "../../desired/check-context.ts";
import type { KindRegistration } from "../registration.ts";
import { TenantClusterController } from "./controller.ts";

/**
 * A Kamaji control plane with a Proxmox worker pool (seed 001), applied by the `tenant-cluster`
 * backend: the record (TenantCluster custom resource, with status) in the parent cluster, the
 * TenantControlPlane next to it, the worker VMs on Proxmox; the controller drives the order.
 */
export const tenantClusterKind: KindRegistration = {
  apiVersion: "fleet.bosun.dev/v1alpha1",
  kind: "TenantCluster",
  namespaced: true,
  role: "applied",
  schema,
  backend: "tenant-cluster",
  disruption: {
    of: "restart",
    fields: [/^\/spec\/workers\/(cores|memoryMiB|powerState)(\/|$)/, /^\/spec\/controlPlane\/version$/],
  },
  health: (live) => {
    const phase = field(live, "status")["phase"];
    const ready = phase === "Ready";
    return { ready, reason: ready ? "phase Ready" : `phase ${String(phase ?? "none")}` };
  },
  controller: (backend, options) => new TenantClusterController(backend, options),
};
