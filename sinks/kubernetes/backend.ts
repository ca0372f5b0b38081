import type { KubeClient } from "../../clients/kubernetes/client.ts";
import { DEVICE_FLEET } from "../../engine/kinds/device-process-deployment/ports.ts";
import type { Logger } from "../../engine/log/logger.ts";
import { BackendPorts, type Backend } from "../../engine/reconcile/ports.ts";
import { KubernetesDeviceFleet, type LiveReadModel } from "./device-fleet.ts";
import { KubernetesEventRecorder } from "./event-recorder.ts";
import { ConfigMapInventoryStore } from "./inventory-store.ts";
import { KubernetesLiveSource } from "./live-diff.ts";
import { KubernetesSink, type KubernetesSinkOptions } from "./sink.ts";

export interface KubernetesBackendOptions extends KubernetesSinkOptions {
  readonly client: KubeClient;
  readonly logger: Logger;
  /** Registration name (default `kubernetes`); kinds name it, and it keys the inventory. */
  readonly name?: string;
  /** Namespace of the inventory ConfigMap `bosun-inventory` (default `bosun-system`). */
  readonly stateNamespace?: string;
  /** `source.component` of Events (default `bosun`). */
  readonly component?: string;
  /** The live cache (sources/kubernetes/live-cache.ts): incremental rollouts and GET-less target and status writes. */
  readonly live?: LiveReadModel;
  // `cache` (KubernetesSinkOptions): the drift cache (sources/kubernetes/managed-objects.ts), GET-less drift.
}

/**
 * A Kubernetes cluster as one engine backend: the sink (server-side apply, ordered deletes,
 * observe), the plan's diff, the inventory ConfigMap, Events, and the device fleet port
 * (`DEVICE_FLEET`) the DeviceProcessDeployment controller drives.
 */
export function kubernetesBackend(options: KubernetesBackendOptions): Backend {
  const { client, logger } = options;
  const sink = new KubernetesSink({ ...options, logger });
  const fleet = new KubernetesDeviceFleet({
    client,
    sink,
    logger,
    ...(options.live ? { live: options.live } : {}),
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
  });
  return {
    name: options.name ?? "kubernetes",
    sink,
    live: new KubernetesLiveSource(sink, options.concurrency),
    inventory: new ConfigMapInventoryStore({
      client,
      ...(options.stateNamespace ? { namespace: options.stateNamespace } : {}),
    }),
    events: new KubernetesEventRecorder({
      client,
      logger,
      ...(options.component ? { component: options.component } : {}),
    }),
    ports: new BackendPorts().with(DEVICE_FLEET, fleet),
  };
}
