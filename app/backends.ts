/**
 * The backends this engine runs, registered in one place: name → how to build it from the
 * engine config. Adding a backend = its client, sink and source folders + one entry here.
 */
import type { KubeClient } from "../clients/kubernetes/index.ts";
import type { Backend, Logger } from "../engine/index.ts";
import { flightctlBackend, parseFlightctlConfig } from "../sinks/flightctl/index.ts";
import { flintlockBackend, kubernetesRecords, parseFlintlockConfig } from "../sinks/flintlock/index.ts";
import { kubernetesBackend, type LiveReadModel } from "../sinks/kubernetes/index.ts";
import { parseTenantClustersConfig, tenantClusterBackend } from "../sinks/tenant-cluster/index.ts";
import { parseWorkloadClusterConfig, workloadClusterBackend } from "../sinks/workload-cluster/index.ts";

/** What every backend factory gets. */
export interface BackendContext {
  readonly logger: Logger;
  /** The cluster client: Bosun keeps its inventory and events there for every backend. */
  readonly kube: KubeClient;
  /** The engine's live read model (absent for one-shot commands such as `bosun plan`). */
  readonly live?: LiveReadModel;
  readonly stateNamespace?: string;
  /** The engine config's `backends` section: one key per backend (e.g. `flintlock`). */
  readonly settings?: Readonly<Record<string, unknown>>;
}

export interface BackendRegistration {
  readonly name: string;
  /** The backend, or undefined when the engine config does not set it up (its kinds are then NotReconciled). */
  create(context: BackendContext): Backend | undefined;
}

export const backendRegistrations: readonly BackendRegistration[] = [
  {
    name: "kubernetes",
    create: ({ kube, logger, live, stateNamespace }) =>
      kubernetesBackend({
        client: kube,
        logger,
        ...(live ? { live } : {}),
        // Drift from the watch-fed objects: an unchanged pass makes no GET per object.
        ...(live?.objects ? { cache: live.objects } : {}),
        ...(stateNamespace ? { stateNamespace } : {}),
      }),
  },
  {
    // EdgeWorkloads on Flightctl fleets and devices (backends.flightctl); inventory and Events in the cluster.
    name: "flightctl",
    create: ({ kube, logger, stateNamespace, settings }) => {
      if (settings?.["flightctl"] === undefined) return undefined;
      const records = kubernetesBackend({
        client: kube,
        logger,
        name: "flightctl",
        ...(stateNamespace ? { stateNamespace } : {}),
      });
      return flightctlBackend({
        config: parseFlightctlConfig(settings["flightctl"], "engine config"),
        records: { inventory: records.inventory, events: records.events },
        logger,
      });
    },
  },
  {
    // FAR agents' microVMs on Flintlock hosts (backends.flintlock); records, inventory and Events in the cluster.
    name: "flintlock",
    create: ({ kube, logger, stateNamespace, settings }) =>
      settings?.["flintlock"] === undefined
        ? undefined
        : flintlockBackend({
            config: parseFlintlockConfig(settings["flintlock"], "engine config"),
            records: kubernetesRecords({ client: kube, logger, ...(stateNamespace ? { stateNamespace } : {}) }),
            logger,
          }),
  },
  {
    // WorkloadClusters (Cluster API) on the management clusters of backends.workloadClusters; records in the cluster.
    name: "workload-cluster",
    create: ({ kube, logger, stateNamespace, settings }) =>
      settings?.["workloadClusters"] === undefined
        ? undefined
        : workloadClusterBackend({
            config: parseWorkloadClusterConfig(settings["workloadClusters"], "engine config"),
            client: kube,
            logger,
            ...(stateNamespace ? { stateNamespace } : {}),
          }),
  },
  {
    // TenantClusters: Kamaji control planes in this cluster, worker VMs on Proxmox (backends.tenantClusters).
    name: "tenant-cluster",
    create: ({ kube, logger, stateNamespace, settings }) =>
      settings?.["tenantClusters"] === undefined
        ? undefined
        : tenantClusterBackend({
            config: parseTenantClustersConfig(settings["tenantClusters"], "engine config"),
            client: kube,
            logger,
            ...(stateNamespace ? { stateNamespace } : {}),
          }),
  },
];

/** Every registered backend, built for this engine. */
export function createBackends(context: BackendContext): Backend[] {
  return backendRegistrations.flatMap((r) => r.create(context) ?? []);
}
