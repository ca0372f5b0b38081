/**
 * The Kubernetes backend, as app/ wires it: `kubernetesBackend(options)` gives the engine's
 * `Backend` (sink, plan diff, inventory ConfigMap, Events, and the device fleet port).
 */
export { kubernetesBackend, type KubernetesBackendOptions } from "./backend.ts";
export type { LiveReadModel } from "./device-fleet.ts";
export type { DriftCache } from "./drift-cache.ts";
export { inventoryKey, INVENTORY_CONFIGMAP } from "./inventory-store.ts";
export { sinkErrorKind } from "./classify.ts";
export { KubernetesSink, type KubernetesSinkOptions } from "./sink.ts";
export { waitEstablished, waitGone, WaitTimeoutError } from "./wait.ts";
export { loadManifests } from "./manifests.ts";
