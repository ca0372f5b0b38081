/** The Flightctl management API client (fleets, devices, their status): typed, paged, rate-limited, TLS verified. */
export {
  FlightctlClient,
  selectorQuery,
  type FlightctlClientOptions,
  type ListOptions,
  type RequestCounts,
} from "./client.ts";
export { FlightctlError, isFlightctlError } from "./errors.ts";
export { backoffMs } from "./rate-limit.ts";
export * from "./types.ts";
