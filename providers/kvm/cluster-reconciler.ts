import type { KubeClient, KubeObject } from "../../clients/kubernetes/index.ts";
import type { Logger } from "../../engine/index.ts";
import { setCondition } from "./conditions.ts";
import type { EventRecorder } from "./events.ts";
import { isClusterPaused, isPaused, type Outcome } from "./machine-reconciler.ts";
import type { ProviderMetrics } from "./metrics.ts";
import {
  CAPI_API_VERSION,
  CAPI_GROUP,
  CLUSTER_FINALIZER,
  FIELD_MANAGER,
  INFRA_API_VERSION,
  READY,
  Reason,
  type Condition,
} from "./model.ts";

export const CLUSTER_CONTROLLER = "kvmcluster";

export interface ClusterDeps {
  readonly kube: KubeClient;
  readonly events: EventRecorder;
  readonly metrics: ProviderMetrics;
  readonly log: Logger;
  readonly now: () => Date;
}

/**
 * The KVMCluster controller: ready once `spec.controlPlaneEndpoint` is set (host and port), as the CAPI
 * infrastructure-cluster contract asks; there is nothing on the hypervisor to make for a cluster (machines have no
 * NIC here, so no load balancer). Its finalizer only marks that this controller saw the object (operatorkit).
 */
export class ClusterReconciler {
  constructor(private readonly d: ClusterDeps) {}

  async reconcile(namespace: string, name: string, signal?: AbortSignal): Promise<Outcome> {
    const { kube, metrics } = this.d;
    const ref = { apiVersion: INFRA_API_VERSION, kind: "KVMCluster", namespace, name };
    const kc = await kube.get(ref, signal);
    if (!kc) {
      metrics.forget(CLUSTER_CONTROLLER, "KVMCluster", namespace, name);
      return {};
    }
    metrics.observe(CLUSTER_CONTROLLER, {
      kind: "KVMCluster",
      namespace,
      name,
      ...(kc.metadata.creationTimestamp ? { creationTimestamp: kc.metadata.creationTimestamp } : {}),
      ...(kc.metadata.deletionTimestamp ? { deletionTimestamp: kc.metadata.deletionTimestamp } : {}),
    });
    const owner = ((kc.metadata["ownerReferences"] as { apiVersion: string; kind: string; name: string }[]) ?? []).find(
      (o) => o.kind === "Cluster" && o.apiVersion.startsWith(`${CAPI_GROUP}/`),
    );
    const cluster: KubeObject | undefined = owner
      ? await kube.get({ apiVersion: CAPI_API_VERSION, kind: "Cluster", namespace, name: owner.name }, signal)
      : undefined;
    if (isPaused(kc) || (cluster && isClusterPaused(cluster))) return {};
    const opts = { fieldManager: FIELD_MANAGER, ...(signal ? { signal } : {}) };
    if (kc.metadata.deletionTimestamp) {
      if (kc.metadata.finalizers?.includes(CLUSTER_FINALIZER))
        await kube.mergePatch(
          ref,
          {
            metadata: {
              finalizers: kc.metadata.finalizers.filter((f) => f !== CLUSTER_FINALIZER),
              resourceVersion: kc.metadata.resourceVersion,
            },
          },
          opts,
        );
      return {};
    }
    if (!kc.metadata.finalizers?.includes(CLUSTER_FINALIZER))
      await kube.mergePatch(
        ref,
        {
          metadata: {
            finalizers: [...(kc.metadata.finalizers ?? []), CLUSTER_FINALIZER],
            resourceVersion: kc.metadata.resourceVersion,
          },
        },
        opts,
      );
    const ep = (kc["spec"] as { controlPlaneEndpoint?: { host?: string; port?: number } } | undefined)
      ?.controlPlaneEndpoint;
    const ready = typeof ep?.host === "string" && ep.host !== "" && typeof ep.port === "number" && ep.port > 0;
    const status = (kc["status"] ?? {}) as { conditions?: Condition[] };
    const now = this.d.now();
    const conditions = setCondition(
      status.conditions,
      ready
        ? { type: READY, status: "True", reason: Reason.Ready }
        : {
            type: READY,
            status: "False",
            severity: "Info",
            reason: Reason.WaitingForControlPlaneEndpoint,
            message: `KVMCluster ${namespace}/${name}: set spec.controlPlaneEndpoint (host and port)`,
          },
      now,
    );
    await kube.applyStatus(
      {
        apiVersion: INFRA_API_VERSION,
        kind: "KVMCluster",
        metadata: { name, namespace },
        status: {
          ready,
          initialization: { provisioned: ready },
          conditions,
          ...(kc.metadata.generation !== undefined ? { observedGeneration: kc.metadata.generation } : {}),
        },
      },
      { ...opts, force: true },
    );
    metrics.reconciled(CLUSTER_CONTROLLER, { kind: "KVMCluster", namespace, name }, now);
    return {};
  }
}
