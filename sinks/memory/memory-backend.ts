import { DEVICE_FLEET } from "../../engine/kinds/device-process-deployment/ports.ts";
import { BackendPorts, type Backend } from "../../engine/reconcile/ports.ts";
import { MemoryEventRecorder } from "./memory-events.ts";
import { MemoryDeviceFleet } from "./memory-fleet.ts";
import { MemoryInventoryStore } from "./memory-inventory.ts";
import { MemoryLiveSource } from "./memory-live.ts";
import { MemorySink, type MemorySinkOptions } from "./memory-sink.ts";
import { MemoryStorage } from "./storage.ts";

export interface MemoryBackendOptions extends MemorySinkOptions {
  /** Registration name (default `memory`); `kubernetes` to stand in for the cluster. */
  readonly name?: string;
  /** The storage to run on (default: a new one). Another backend on the same storage is an engine restart. */
  readonly storage?: MemoryStorage;
  /** Keep what was written in `writes` (a new storage only). */
  readonly record?: boolean;
}

/** A memory backend and the handles tests and benchmarks drive it with. */
export interface MemoryBackend {
  readonly backend: Backend;
  readonly storage: MemoryStorage;
  /** The device fleet port (also in `backend.ports` under DEVICE_FLEET). */
  readonly fleet: MemoryDeviceFleet;
  readonly store: MemoryStorage["store"];
  readonly writes: MemoryStorage["writes"];
  readonly calls: MemoryStorage["calls"];
  readonly generated: MemoryStorage["generated"];
  addDevice: MemoryStorage["addDevice"];
  agentsReport: MemoryStorage["agentsReport"];
}

/**
 * A backend held in memory, through the same ports the Kubernetes backend implements: the
 * "cluster" is a {@link MemoryStorage}. For benchmarks (dispatch without a network, 100,000
 * devices), for tests that compare the incremental path with the full one, and for the sink
 * contract suite.
 */
export function memoryBackend(options: MemoryBackendOptions = {}): MemoryBackend {
  const storage = options.storage ?? new MemoryStorage({ record: options.record === true });
  const fleet = new MemoryDeviceFleet(storage);
  const sinkOptions: MemorySinkOptions = {
    ...(options.selfHeal !== undefined ? { selfHeal: options.selfHeal } : {}),
    ...(options.force !== undefined ? { force: options.force } : {}),
  };
  const backend: Backend = {
    name: options.name ?? "memory",
    sink: new MemorySink(storage, sinkOptions),
    live: new MemoryLiveSource(storage),
    inventory: new MemoryInventoryStore(storage),
    events: new MemoryEventRecorder(storage),
    ports: new BackendPorts().with(DEVICE_FLEET, fleet),
  };
  return {
    backend,
    storage,
    fleet,
    store: storage.store,
    writes: storage.writes,
    calls: storage.calls,
    generated: storage.generated,
    addDevice: (device) => storage.addDevice(device),
    agentsReport: (report) => storage.agentsReport(report),
  };
}
