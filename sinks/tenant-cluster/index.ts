/**
 * The TenantCluster backend, as app/ wires it: `tenantClusterBackend(options)` gives the engine's
 * `Backend` for TenantClusters (Kamaji control planes in the parent cluster, worker VMs on Proxmox).
 */
export { tenantClusterBackend, type TenantClusterBackend, type TenantClusterBackendOptions } from "./backend.ts";
export { parseTenantClustersConfig, type TenantClustersConfig } from "./config.ts";
export { KubeProxmoxTenantFleet, type ProxmoxApi } from "./fleet.ts";
export { caCertHash, joinUserData } from "./join.ts";
