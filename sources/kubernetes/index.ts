/**
 * The Kubernetes read side: the watch-fed live cache of devices, DeviceProcesses and heartbeats,
 * and the watch-fed cache of the objects Bosun applies (drift without a GET per object per poll).
 */
export { LiveCache, type LiveCacheOptions } from "./live-cache.ts";
export { ingest } from "./live-records.ts";
export {
  ManagedObjectCache,
  type FollowedKind,
  type ManagedObjectCacheOptions,
  type ManagedObjectCacheStats,
} from "./managed-objects.ts";
