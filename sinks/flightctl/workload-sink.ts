/**
 * The EdgeWorkload sink: a workload with `spec.fleet` is written into that fleet's template (its
 * applications, and the rollout policy from its strategy), one conditional PUT per changed workload
 * (re-read and retried on 409; unchanged: no write). A workload with `spec.deviceSelector` is
 * recorded only: its controller puts the applications on the devices, wave by wave. Deleting a
 * workload removes its applications from the fleet template or from every device that has them;
 * nothing else in Flightctl is touched. What Bosun owns is marked in Flightctl (ownership.ts), so
 * `observe` answers from Flightctl alone.
 */
import {
  FLEET_ANNOTATIONS,
  isFlightctlError,
  type Fleet,
  type FlightctlClient,
} from "../../clients/flightctl/index.ts";
import {
  describeRef,
  refKey,
  SinkError,
  type Change,
  type JsonObject,
  type LiveSource,
  type ObjectRef,
  type Observed,
  type Sink,
} from "../../engine/index.ts";
import { needsManualApproval, rolloutPolicy } from "../../engine/kinds/edge-workload/rollout-policy.ts";
import { readWorkload, type EdgeWorkload } from "../../engine/kinds/edge-workload/workload.ts";
import type { FlightctlEdgeFleet } from "./edge-fleet.ts";
import { sinkErrorOf } from "./edge-fleet.ts";
import { FLEET_WORKLOADS_ANNOTATION, fleetEntries, stableJson, type FleetEntry } from "./ownership.ts";

const CONFLICT_RETRIES = 8;
type Json = Record<string, unknown>;

function workloadOf(body: JsonObject): EdgeWorkload {
  const metadata = (body["metadata"] ?? {}) as Json;
  return readWorkload({ namespace: String(metadata["namespace"] ?? ""), name: String(metadata["name"]), body });
}

const refOfWorkload = (w: EdgeWorkload, body: JsonObject): ObjectRef => ({
  apiVersion: String(body["apiVersion"]),
  kind: String(body["kind"]),
  namespace: w.namespace,
  name: w.name,
});

/** The fleet with `w`'s applications and policy in its template; undefined when already so. */
export function fleetWith(fleet: Fleet, w: EdgeWorkload): Fleet | undefined {
  const annotations = { ...(fleet.metadata.annotations ?? {}) };
  const entries = fleetEntries(annotations);
  const previous = entries[w.key];
  const other = Object.entries(entries).find(([k, e]) => k !== w.key && e.strategy !== w.strategyDigest);
  if (other)
    throw new SinkError(
      `EdgeWorkload ${w.key}`,
      "permanent",
      `fleet ${w.fleet} has one rollout policy and EdgeWorkload ${other[0]} sets a different strategy; give both the same spec.strategy`,
    );
  const template = fleet.spec.template.spec.applications ?? [];
  const mine = new Set(previous?.apps ?? []);
  const names = new Set(w.applications.map((a) => a.name));
  const clash = template.find((a) => names.has(String(a.name)) && !mine.has(String(a.name)));
  if (clash)
    throw new SinkError(
      `EdgeWorkload ${w.key}`,
      "conflict",
      `fleet ${w.fleet}'s template already has an application ${String(clash.name)} that is not this workload's; rename the workload or its container`,
    );
  const kept = template.filter((a) => !mine.has(String(a.name)));
  const apps = [...kept, ...w.applications.map((a) => ({ ...a }))];
  const devices = fleet.status?.devicesSummary?.total ?? 0;
  const policy = rolloutPolicy(w, devices);
  const entry: FleetEntry = {
    apps: w.applications.map((a) => a.name),
    revision: w.revision,
    strategy: w.strategyDigest,
  };
  const method = needsManualApproval(w) ? "manual" : "automatic";
  const sameApps = JSON.stringify(apps) === JSON.stringify(template);
  const samePolicy = JSON.stringify(policy) === JSON.stringify(fleet.spec.rolloutPolicy ?? {});
  if (
    sameApps &&
    samePolicy &&
    JSON.stringify(previous) === JSON.stringify(entry) &&
    annotations[FLEET_ANNOTATIONS.rolloutApprovalMethod] === method
  )
    return undefined;
  entries[w.key] = entry;
  annotations[FLEET_WORKLOADS_ANNOTATION] = stableJson(entries as unknown as Json);
  annotations[FLEET_ANNOTATIONS.rolloutApprovalMethod] = method;
  // A new template version starts unapproved: Bosun opens each batch when its wave may start.
  if (!sameApps) annotations[FLEET_ANNOTATIONS.rolloutApproved] = "false";
  return {
    apiVersion: fleet.apiVersion,
    kind: "Fleet",
    metadata: {
      name: fleet.metadata.name!,
      ...(fleet.metadata.labels ? { labels: fleet.metadata.labels } : {}),
      annotations,
      ...(fleet.metadata.resourceVersion ? { resourceVersion: fleet.metadata.resourceVersion } : {}),
    },
    spec: {
      ...fleet.spec,
      template: { ...fleet.spec.template, spec: { ...fleet.spec.template.spec, applications: apps as never } },
      rolloutPolicy: policy as never,
    },
  };
}

/** The fleet without workload `key`'s applications; undefined when it has none. */
export function fleetWithout(fleet: Fleet, key: string): Fleet | undefined {
  const annotations = { ...(fleet.metadata.annotations ?? {}) };
  const entries = fleetEntries(annotations);
  const entry = entries[key];
  if (!entry) return undefined;
  delete entries[key];
  const mine = new Set(entry.apps);
  const apps = (fleet.spec.template.spec.applications ?? []).filter((a) => !mine.has(String(a.name)));
  if (Object.keys(entries).length > 0) annotations[FLEET_WORKLOADS_ANNOTATION] = stableJson(entries as unknown as Json);
  else delete annotations[FLEET_WORKLOADS_ANNOTATION];
  // A removal changes no remaining workload's applications: nothing for Git approvals to gate.
  annotations[FLEET_ANNOTATIONS.rolloutApprovalMethod] = "automatic";
  const { rolloutPolicy: _policy, ...rest } = fleet.spec;
  const spec = Object.keys(entries).length > 0 ? fleet.spec : rest;
  return {
    apiVersion: fleet.apiVersion,
    kind: "Fleet",
    metadata: {
      name: fleet.metadata.name!,
      ...(fleet.metadata.labels ? { labels: fleet.metadata.labels } : {}),
      annotations,
      ...(fleet.metadata.resourceVersion ? { resourceVersion: fleet.metadata.resourceVersion } : {}),
    },
    spec: { ...spec, template: { ...fleet.spec.template, spec: { ...fleet.spec.template.spec, applications: apps } } },
  };
}

export class EdgeWorkloadSink implements Sink, LiveSource {
  constructor(
    private readonly client: FlightctlClient,
    private readonly edge: FlightctlEdgeFleet,
  ) {}

  async apply(objects: readonly JsonObject[], signal: AbortSignal): Promise<Change[]> {
    signal.throwIfAborted();
    const out = new Map<JsonObject, Change>();
    const byFleet = new Map<string, { body: JsonObject; w: EdgeWorkload }[]>();
    for (const body of objects) {
      const w = workloadOf(body);
      if (w.mode === "devices") {
        out.set(body, {
          action: "unchanged",
          ref: refOfWorkload(w, body),
          reason: "placed on devices by its controller",
        });
        continue;
      }
      const list = byFleet.get(w.fleet!) ?? [];
      list.push({ body, w });
      byFleet.set(w.fleet!, list);
    }
    await Promise.all(
      [...byFleet].map(async ([fleetName, items]) => {
        let fleet: Fleet | undefined;
        for (const { body, w } of items.sort((a, b) => (a.w.key < b.w.key ? -1 : 1))) {
          const ref = refOfWorkload(w, body);
          const subject = describeRef(ref);
          try {
            for (let attempt = 0; ; attempt++) {
              fleet ??= await this.client.getFleet(fleetName, signal);
              const created = fleetEntries(fleet.metadata.annotations)[w.key] === undefined;
              const next = fleetWith(fleet, w);
              if (!next) {
                out.set(body, { action: "unchanged", ref, reason: `in fleet ${fleetName}'s template` });
                break;
              }
              try {
                fleet = await this.client.replaceFleet(next, signal);
                out.set(body, {
                  action: created ? "created" : "configured",
                  ref,
                  reason: `fleet ${fleetName}'s template: revision ${w.revision}`,
                });
                break;
              } catch (e) {
                if (isFlightctlError(e) && e.conflict && attempt < CONFLICT_RETRIES) {
                  fleet = undefined; // someone else changed it: re-read, re-merge
                  continue;
                }
                throw e;
              }
            }
          } catch (e) {
            if (signal.aborted) throw signal.reason;
            let error: SinkError;
            if (isFlightctlError(e) && e.notFound && fleet === undefined)
              error = new SinkError(
                subject,
                "permanent",
                `Flightctl has no fleet "${fleetName}"; create it or fix spec.fleet (nothing was written)`,
                { cause: e },
              );
            else if (isFlightctlError(e) && e.invalid)
              error = new SinkError(
                subject,
                "permanent",
                `Flightctl refused fleet ${fleetName}'s template: ${e.detail} (nothing was written)`,
                { cause: e },
              );
            else error = sinkErrorOf(subject, e);
            if (error.kind !== "permanent") fleet = undefined;
            out.set(body, { action: "skipped", ref, reason: error.message, error });
          }
        }
      }),
    );
    return objects.map((o) => out.get(o)!);
  }

  async delete(refs: readonly ObjectRef[], signal: AbortSignal): Promise<Change[]> {
    signal.throwIfAborted();
    if (refs.length === 0) return [];
    const out = new Map<string, Change>();
    let fleets: Fleet[];
    try {
      fleets = await this.client.listFleets({ signal });
    } catch (e) {
      const error = sinkErrorOf("Flightctl fleets", e);
      return refs.map((ref) => ({ action: "skipped", ref, reason: error.message, error }));
    }
    const devicesNeeded = refs.filter(
      (r) => !fleets.some((f) => fleetEntries(f.metadata.annotations)[`${r.namespace}/${r.name}`]),
    );
    const devices = devicesNeeded.length > 0 ? await this.edge.devices(undefined, signal).catch(() => undefined) : [];
    for (const ref of refs) {
      const key = `${ref.namespace}/${ref.name}`;
      const subject = describeRef(ref);
      try {
        let removed = false;
        for (const f of fleets.filter((x) => fleetEntries(x.metadata.annotations)[key])) {
          for (let attempt = 0; ; attempt++) {
            const current = attempt === 0 ? f : await this.client.getFleet(f.metadata.name!, signal);
            const next = fleetWithout(current, key);
            if (!next) break;
            try {
              await this.client.replaceFleet(next, signal);
              removed = true;
              break;
            } catch (e) {
              if (isFlightctlError(e) && e.conflict && attempt < CONFLICT_RETRIES) continue;
              throw e;
            }
          }
        }
        if (devices === undefined) throw new SinkError(subject, "transient", "Flightctl devices could not be listed");
        for (const d of devices.filter((x) => Object.values(x.appOwners).includes(key))) {
          await this.edge.setDeviceApplications(d.name, key, [], signal);
          removed = true;
        }
        out.set(
          refKey(ref),
          removed
            ? { action: "deleted", ref, reason: "applications removed from Flightctl" }
            : { action: "skipped", ref, reason: "already gone" },
        );
      } catch (e) {
        if (signal.aborted) throw signal.reason;
        const error = sinkErrorOf(subject, e);
        out.set(refKey(ref), { action: "skipped", ref, reason: error.message, error });
      }
    }
    return refs.map((r) => out.get(refKey(r))!);
  }

  async observe(refs: readonly ObjectRef[], signal: AbortSignal): Promise<(Observed | undefined)[]> {
    signal.throwIfAborted();
    if (refs.length === 0) return [];
    let fleets: Fleet[];
    try {
      fleets = await this.client.listFleets({ signal });
    } catch (e) {
      throw sinkErrorOf("Flightctl fleets", e);
    }
    const byKey = new Map<string, { fleet: string; entry: FleetEntry }>();
    for (const f of fleets)
      for (const [k, entry] of Object.entries(fleetEntries(f.metadata.annotations)))
        byKey.set(k, { fleet: f.metadata.name!, entry });
    const missing = refs.filter((r) => !byKey.has(`${r.namespace}/${r.name}`));
    const onDevices = new Map<string, string[]>();
    if (missing.length > 0)
      for (const d of await this.edge.devices(undefined, signal))
        for (const owner of new Set(Object.values(d.appOwners)))
          onDevices.set(owner, [...(onDevices.get(owner) ?? []), d.name]);
    return refs.map((ref) => {
      const key = `${ref.namespace}/${ref.name}`;
      const inFleet = byKey.get(key);
      const devices = onDevices.get(key);
      if (!inFleet && !devices) return undefined;
      return {
        ref,
        managedByBosun: true,
        object: {
          apiVersion: ref.apiVersion,
          kind: ref.kind,
          metadata: { name: ref.name, namespace: ref.namespace, labels: { "app.kubernetes.io/managed-by": "bosun" } },
          spec: inFleet ? { fleet: inFleet.fleet } : {},
          status: inFleet
            ? { revision: inFleet.entry.revision, applications: inFleet.entry.apps }
            : { devices: devices!.length },
        },
      };
    });
  }

  async diff(objects: readonly JsonObject[], signal: AbortSignal) {
    const workloads = objects.map(workloadOf);
    const observed = await this.observe(
      workloads.map((w, i) => refOfWorkload(w, objects[i]!)),
      signal,
    );
    return workloads.map((w, i) => {
      const o = observed[i];
      if (!o) return { state: "missing" as const, fields: [] };
      const revision = (o.object["status"] as Json | undefined)?.["revision"];
      if (w.mode === "devices" || revision === w.revision) return { state: "in-sync" as const, fields: [] };
      return {
        state: "changed" as const,
        fields: [{ pointer: "/spec/containers", desired: w.revision, live: revision }],
      };
    });
  }
}
