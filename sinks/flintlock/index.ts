/**
 * The Flintlock backend, as app/ wires it: `flintlockBackend(options)` gives the engine's `Backend`
 * for FAR agents (microVMs on Flintlock hosts; records, inventory and Events in the cluster).
 */
export {
  flintlockBackend,
  kubernetesRecords,
  memoryRecords,
  type AgentRecords,
  type FlintlockBackend,
  type FlintlockBackendOptions,
} from "./backend.ts";
export { parseFlintlockConfig, type FlintlockBackendConfig, type FlintlockHostConfig } from "./config.ts";
export { DIGEST_LABEL, MICROVM_API_VERSION, MICROVM_KIND } from "./convert.ts";
