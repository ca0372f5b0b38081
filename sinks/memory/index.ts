/**
 * The in-memory backend: `memoryBackend(options)` gives an engine `Backend` on a
 * `MemoryStorage` plus the handles tests and benchmarks use (store, writes, calls, devices, agents).
 */
export { memoryBackend, type MemoryBackend, type MemoryBackendOptions } from "./memory-backend.ts";
export { MemoryStorage, type MemoryCalls, type MemoryWrites } from "./storage.ts";
export { MemoryDeviceFleet, generatedKey } from "./memory-fleet.ts";
export { processObject } from "./process-object.ts";
