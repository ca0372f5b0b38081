/**
 * The `EDGE_FLEET` port over the Flightctl client: fleets and their devices as the EdgeWorkload
 * controller reads them, the batch approval, and per-device application writes (re-read and
 * retried on a 409, so a concurrent change is never overwritten and nothing is written twice).
 */
import {
  DEVICE_ANNOTATIONS,
  FLEET_ANNOTATIONS,
  type Device,
  type FlightctlClient,
  isFlightctlError,
} from "../../clients/flightctl/index.ts";
import { SinkError } from "../../engine/index.ts";
import type { AppState, EdgeDevice, EdgeFleet, EdgeFleetState } from "../../engine/kinds/edge-workload/ports.ts";
import { quantity, type EdgeApplication } from "../../engine/kinds/edge-workload/workload.ts";
import { DEVICE_APPLICATIONS_ANNOTATION, deviceOwners, stableJson } from "./ownership.ts";

const CONFLICT_RETRIES = 8;

/** A Flightctl failure as the engine classifies it. */
export function sinkErrorOf(subject: string, e: unknown): SinkError {
  if (e instanceof SinkError) return e;
  if (isFlightctlError(e)) {
    const kind = e.retriable ? "transient" : e.conflict ? "conflict" : "permanent";
    return new SinkError(
      subject,
      kind,
      `Flightctl answered ${e.statusCode === 0 ? "nothing" : e.statusCode} (${e.reason}): ${e.detail}`,
      { cause: e },
    );
  }
  return new SinkError(subject, "transient", e instanceof Error ? e.message : String(e), { cause: e });
}

export function edgeDevice(d: Device): EdgeDevice {
  const status = d.status;
  const appStates: Record<string, AppState> = {};
  for (const a of status?.applications ?? []) appStates[a.name] = a.status;
  const rendered = d.metadata.annotations?.[DEVICE_ANNOTATIONS.renderedVersion];
  const cpu = quantity(status?.systemInfo?.["cpuCores"]);
  const mem = quantity(status?.systemInfo?.["memory"]);
  const lastSeen = Date.parse(String(status?.lastSeen ?? ""));
  return {
    name: d.metadata.name ?? "",
    labels: d.metadata.labels ?? {},
    ...(d.metadata.owner ? { owner: d.metadata.owner } : {}),
    applications: (d.spec?.applications ?? []) as Record<string, unknown>[],
    appOwners: deviceOwners(d.metadata.annotations),
    appStates,
    settled: status !== undefined && (rendered === undefined || status.config.renderedVersion === rendered),
    lastSeenMs: Number.isFinite(lastSeen) ? lastSeen : 0,
    summary: status?.summary.status ?? "Unknown",
    capacity: { cpuMilli: Number.isFinite(cpu) ? cpu * 1000 : 0, memoryBytes: Number.isFinite(mem) ? mem : 0 },
    resourceVersion: d.metadata.resourceVersion ?? "",
  };
}

export class FlightctlEdgeFleet implements EdgeFleet {
  constructor(
    private readonly client: FlightctlClient,
    readonly offlineTimeoutMs: number,
  ) {}

  async fleet(name: string, signal: AbortSignal): Promise<EdgeFleetState | undefined> {
    try {
      const [fleet, devices] = await Promise.all([
        this.client.getFleet(name, signal),
        this.client.listDevices({ fieldSelector: `metadata.owner=Fleet/${name}`, signal }),
      ]);
      const annotations = fleet.metadata.annotations ?? {};
      const error = annotations["fleet-controller/lastRolloutError"];
      return {
        name,
        annotations,
        applications: (fleet.spec.template.spec.applications ?? []) as Record<string, unknown>[],
        ...(error ? { rolloutError: error } : {}),
        devices: devices.map(edgeDevice),
      };
    } catch (e) {
      if (isFlightctlError(e) && e.notFound) return undefined;
      throw sinkErrorOf(`Flightctl fleet ${name}`, e);
    }
  }

  async devices(selector: Readonly<Record<string, unknown>> | undefined, signal: AbortSignal): Promise<EdgeDevice[]> {
    try {
      const list = await this.client.listDevices({ ...(selector ? { labelSelector: selector as never } : {}), signal });
      return list.map(edgeDevice);
    } catch (e) {
      throw sinkErrorOf("Flightctl devices", e);
    }
  }

  async approveBatch(fleet: string, signal: AbortSignal): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const f = await this.client.getFleet(fleet, signal);
      const annotations = { ...(f.metadata.annotations ?? {}), [FLEET_ANNOTATIONS.rolloutApproved]: "true" };
      try {
        await this.client.replaceFleet(
          { apiVersion: f.apiVersion, kind: "Fleet", metadata: { ...f.metadata, annotations }, spec: f.spec },
          signal,
        );
        return;
      } catch (e) {
        if (isFlightctlError(e) && e.conflict && attempt < CONFLICT_RETRIES) continue;
        throw sinkErrorOf(`Flightctl fleet ${fleet}`, e);
      }
    }
  }

  async setDeviceApplications(
    device: string,
    owner: string,
    apps: readonly EdgeApplication[],
    signal: AbortSignal,
  ): Promise<void> {
    const subject = `Flightctl device ${device}`;
    for (let attempt = 0; ; attempt++) {
      let d: Device;
      try {
        d = await this.client.getDevice(device, signal);
      } catch (e) {
        if (isFlightctlError(e) && e.notFound && apps.length === 0) return;
        throw sinkErrorOf(subject, e);
      }
      if (d.metadata.owner)
        throw new SinkError(
          subject,
          "permanent",
          `owned by ${d.metadata.owner}: its applications come from the fleet template`,
        );
      const owners = deviceOwners(d.metadata.annotations);
      const mine = new Set(
        Object.entries(owners)
          .filter(([, o]) => o === owner)
          .map(([a]) => a),
      );
      const current = d.spec?.applications ?? [];
      const clash = apps.find((a) => current.some((c) => c.name === a.name && !mine.has(a.name)));
      if (clash)
        throw new SinkError(
          subject,
          "conflict",
          `application ${clash.name} is already on the device and not ${owner}'s`,
        );
      const kept = current.filter((c) => !mine.has(String(c.name)));
      const nextApps = [...kept, ...apps.map((a) => ({ ...a }))];
      const nextOwners: Record<string, string> = {};
      for (const [a, o] of Object.entries(owners)) if (o !== owner) nextOwners[a] = o;
      for (const a of apps) nextOwners[a.name] = owner;
      const annotations = { ...(d.metadata.annotations ?? {}) };
      for (const k of Object.keys(annotations))
        if (k.startsWith("fleet-controller/") || k.startsWith("device-controller/")) delete annotations[k];
      if (Object.keys(nextOwners).length > 0) annotations[DEVICE_APPLICATIONS_ANNOTATION] = stableJson(nextOwners);
      else delete annotations[DEVICE_APPLICATIONS_ANNOTATION];
      if (
        JSON.stringify(nextApps) === JSON.stringify(current) &&
        annotations[DEVICE_APPLICATIONS_ANNOTATION] === d.metadata.annotations?.[DEVICE_APPLICATIONS_ANNOTATION]
      )
        return;
      try {
        await this.client.replaceDevice(
          {
            apiVersion: d.apiVersion,
            kind: "Device",
            metadata: {
              name: device,
              ...(d.metadata.labels ? { labels: d.metadata.labels } : {}),
              annotations,
              ...(d.metadata.resourceVersion ? { resourceVersion: d.metadata.resourceVersion } : {}),
            },
            spec: { ...(d.spec ?? {}), applications: nextApps },
          },
          signal,
        );
        return;
      } catch (e) {
        if (isFlightctlError(e) && e.conflict && attempt < CONFLICT_RETRIES) continue;
        throw sinkErrorOf(subject, e);
      }
    }
  }
}
