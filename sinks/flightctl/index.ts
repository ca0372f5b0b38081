/**
 * The Flightctl backend, as app/ wires it: `flightctlBackend(options)` gives the engine's `Backend`
 * for EdgeWorkloads (fleet templates, devices outside fleets); `parseFlightctlConfig` reads
 * `backends.flightctl` of the engine config.
 */
export { flightctlBackend, flightctlClientOf, type FlightctlBackend, type FlightctlBackendOptions } from "./backend.ts";
export { parseFlightctlConfig, type FlightctlBackendConfig, type VirtualNodeConfig } from "./config.ts";
export { FlightctlEdgeFleet, edgeDevice } from "./edge-fleet.ts";
export { DEVICE_APPLICATIONS_ANNOTATION, FLEET_WORKLOADS_ANNOTATION } from "./ownership.ts";
export { VirtualNode, DEVICE_ANNOTATION, PROVIDER_TAINT, type VirtualNodeOptions } from "./virtual-node/index.ts";
