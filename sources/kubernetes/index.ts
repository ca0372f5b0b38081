/** The Kubernetes read side: the watch-fed live cache of devices, DeviceProcesses and heartbeats. */
export { LiveCache, type LiveCacheOptions } from "./live-cache.ts";
export { ingest } from "./live-records.ts";
