/**
 * The WorkloadCluster backend, as app/ wires it: `workloadClusterBackend(options)` gives the
 * engine's `Backend` for Cluster API workload clusters (records, inventory and Events in the
 * engine's cluster; Cluster API objects on the management clusters; libvirt domains of the KVM
 * hosts as live inventory).
 */
export { workloadClusterBackend, type WorkloadClusterBackend, type WorkloadClusterBackendOptions } from "./backend.ts";
export {
  parseWorkloadClusterConfig,
  type KvmHostConfig,
  type ManagementClusterConfig,
  type WorkloadClusterBackendConfig,
} from "./config.ts";
export { KubeManagementCluster } from "./management-cluster.ts";
export { LibvirtHypervisors } from "./hypervisors.ts";
