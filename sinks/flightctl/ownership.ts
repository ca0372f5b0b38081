/**
 * What Bosun put where, kept in Flightctl itself (so a restarted engine, or another one, knows):
 * a fleet's annotation `edge.bosun.dev/workloads` maps each EdgeWorkload (`ns/name`) to its
 * applications in the template, its revision and its strategy digest; a device's annotation
 * `edge.bosun.dev/applications` maps each application Bosun put on it to its owner (a workload's
 * `ns/name`, or a Pod's `pod:ns/name`).
 */
export const FLEET_WORKLOADS_ANNOTATION = "edge.bosun.dev/workloads";
export const DEVICE_APPLICATIONS_ANNOTATION = "edge.bosun.dev/applications";

export interface FleetEntry {
  readonly apps: readonly string[];
  readonly revision: string;
  readonly strategy: string;
}

function parseJson<T>(text: string | undefined, fallback: T): T {
  if (!text) return fallback;
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? (v as T) : fallback;
  } catch {
    return fallback;
  }
}

export function fleetEntries(annotations: Readonly<Record<string, string>> | undefined): Record<string, FleetEntry> {
  return parseJson<Record<string, FleetEntry>>(annotations?.[FLEET_WORKLOADS_ANNOTATION], {});
}

export function deviceOwners(annotations: Readonly<Record<string, string>> | undefined): Record<string, string> {
  return parseJson<Record<string, string>>(annotations?.[DEVICE_APPLICATIONS_ANNOTATION], {});
}

/** Sorted-key JSON, so an unchanged map gives an unchanged annotation. */
export function stableJson(v: Record<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}
