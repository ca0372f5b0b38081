/**
 * The Kamaji TenantControlPlane a TenantCluster wants (pure): seed 001's control plane fields mapped
 * onto Kamaji's CRD (`kamaji.clastix.io/v1alpha1`, ../shared/specs/kamaji): `version` →
 * `spec.kubernetes.version`, `replicas` → `spec.controlPlane.deployment.replicas`, `serviceType` →
 * `spec.controlPlane.service.serviceType`, `port` → `spec.networkProfile.port`, `addons` → `spec.addons`.
 * Named like the TenantCluster, in its namespace; Kamaji's readiness test is
 * `status.kubernetesResources.version.status == Ready` with `version == spec.kubernetes.version`.
 */
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from "../../diff/index.ts";
import type { JsonObject } from "../../model/object-ref.ts";
import type { TenantCluster } from "./spec.ts";

export const TCP_API_VERSION = "kamaji.clastix.io/v1alpha1";
export const TCP_KIND = "TenantControlPlane";
export const TENANT_LABEL = "fleet.bosun.dev/tenant-cluster";

export function tenantControlPlane(t: TenantCluster): JsonObject {
  const cp = t.controlPlane;
  const addons: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cp.addons)) addons[k] = v ?? {};
  return {
    apiVersion: TCP_API_VERSION,
    kind: TCP_KIND,
    metadata: {
      name: t.name,
      namespace: t.namespace,
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [TENANT_LABEL]: t.name, "tenant.clastix.io": t.name },
    },
    spec: {
      controlPlane: { deployment: { replicas: cp.replicas }, service: { serviceType: cp.serviceType } },
      kubernetes: { version: cp.version, kubelet: { cgroupfs: "systemd" } },
      networkProfile: { port: cp.port },
      ...(cp.dataStore !== undefined ? { dataStore: cp.dataStore } : {}),
      ...(Object.keys(addons).length > 0 ? { addons } : {}),
    },
  };
}

/** The admin kubeconfig Secret Kamaji writes for a TCP (key `admin.conf`). */
export function adminSecretName(tcpName: string): string {
  return `${tcpName}-admin-kubeconfig`;
}
