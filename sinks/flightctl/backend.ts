/**
 * The Flightctl backend (`flightctl`): EdgeWorkloads as applications in Flightctl fleet templates or
 * on devices outside fleets (workload-sink.ts), the `EDGE_FLEET` port for their controller
 * (edge-fleet.ts); Bosun's inventory and Events stay in the cluster (or in memory for benchmarks).
 */
import { FlightctlClient } from "../../clients/flightctl/index.ts";
import {
  BackendPorts,
  type Backend,
  type EventRecorder,
  type InventoryStore,
  type Logger,
} from "../../engine/index.ts";
import { EDGE_FLEET } from "../../engine/kinds/edge-workload/ports.ts";
import type { FlightctlBackendConfig } from "./config.ts";
import { FlightctlEdgeFleet } from "./edge-fleet.ts";
import { EdgeWorkloadSink } from "./workload-sink.ts";

export interface FlightctlBackendOptions {
  readonly config: FlightctlBackendConfig;
  /** Where Bosun keeps what it applied and its Events (the cluster's, as for every backend). */
  readonly records: { readonly inventory: InventoryStore; readonly events: EventRecorder };
  readonly logger: Logger;
  readonly name?: string;
}

export interface FlightctlBackend extends Backend {
  readonly client: FlightctlClient;
  readonly edge: FlightctlEdgeFleet;
  close(): Promise<void>;
}

export function flightctlClientOf(config: FlightctlBackendConfig): FlightctlClient {
  return new FlightctlClient({
    url: config.url,
    ...(config.token ? { token: config.token } : {}),
    ...(config.ca ? { ca: config.ca } : {}),
    insecureSkipVerify: config.insecureSkipVerify,
    ...(config.orgId ? { orgId: config.orgId } : {}),
    ...(config.qps ? { qps: config.qps } : {}),
    ...(config.burst ? { burst: config.burst } : {}),
  });
}

export function flightctlBackend(options: FlightctlBackendOptions): FlightctlBackend {
  const client = flightctlClientOf(options.config);
  const edge = new FlightctlEdgeFleet(client, options.config.offlineTimeoutMs);
  const sink = new EdgeWorkloadSink(client, edge);
  return {
    name: options.name ?? "flightctl",
    sink,
    live: sink,
    inventory: options.records.inventory,
    events: options.records.events,
    ports: new BackendPorts().with(EDGE_FLEET, edge),
    client,
    edge,
    close: () => client.close(),
  };
}
