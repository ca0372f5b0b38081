export type { ChangeAction, ChangeSetEntry } from "./changeset.ts";
export { KubernetesSink, type KubernetesSinkOptions } from "./sink.ts";
export { inventoryEntryOf, reconcileSet, type ReconcileOptions, type ReconcileResult } from "./prune.ts";
export { waitEstablished, waitGone, WaitTimeoutError } from "./wait.ts";
export { loadManifests } from "./manifests.ts";
