/**
 * The lab Flightctl's state: fleets and enrolled devices with resourceVersions, fleet ownership by
 * label selector, template versions rendered to the fleet's devices under the fleet's rollout policy
 * (BatchSequence batches, success threshold, disruption budget, batch approval), and simulated
 * device agents that apply what was rendered: applications Preparing → Starting → Running (or Error)
 * one `stepMs` apart, online or offline. Plain data: `snapshot()`/`restore()` keep it over a restart.
 */
import { createHash } from "node:crypto";
import {
  DEVICE_ANNOTATIONS,
  FLEET_ANNOTATIONS,
  FLIGHTCTL_API_VERSION,
  type ApplicationProviderSpec,
  type Device,
  type DeviceApplicationStatus,
  type DeviceSpec,
  type Fleet,
} from "../../clients/flightctl/index.ts";
import { selects } from "./selector.ts";

export interface SimulationOptions {
  /** Time between application states (Preparing → Starting → Running), default 200 ms. */
  readonly stepMs?: number;
  /** Share 0..1 of devices on which an application ends in Error (by a hash of device and image). */
  readonly failureShare?: number;
  /** Images (substring) that end in Error on every device. */
  readonly failImages?: readonly string[];
  /** An offline device is reported `Unknown` after this long without being seen (default 5 min, as upstream). */
  readonly disconnectedMs?: number;
}

interface DeviceRecord {
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  owner?: string | undefined;
  resourceVersion: number;
  spec: DeviceSpec;
  /** device-controller/renderedVersion: bumped on every new rendered spec. */
  renderedVersion: number;
  /** Template version of the owner rendered to it. */
  renderedTemplateVersion?: string | undefined;
  online: boolean;
  lastSeen: number;
  /** What the agent works on: the rendered version and when it started applying it. */
  applying?: { version: number; since: number; apps: ApplicationProviderSpec[] } | undefined;
  /** The last version the agent finished (status.config.renderedVersion). */
  appliedVersion: number;
  appStatuses: DeviceApplicationStatus[];
  capacity: { cpu: string; memory: string };
  createdAt: string;
}

interface Rollout {
  templateVersion: string;
  /** Device names per batch (explicit batches, then the implicit final one). */
  batches: string[][];
  /** Index of the batch being rolled out; -1 before the first starts. */
  batch: number;
  paused?: string;
  complete: boolean;
}

interface FleetRecord {
  fleet: Fleet;
  resourceVersion: number;
  templateSeq: number;
  templateDigest?: string;
  rollout?: Rollout;
  /** Most devices of this fleet updating at once (online, rendered, not yet done), ever: for budget checks. */
  maxInFlight: number;
}

export interface StoreSnapshot {
  readonly devices: DeviceRecord[];
  readonly fleets: FleetRecord[];
  readonly rv: number;
}

const clone = <T>(v: T): T => structuredClone(v);
const digest = (v: unknown): string => createHash("sha256").update(JSON.stringify(v)).digest("hex").slice(0, 16);
const share = (key: string): number => createHash("sha256").update(key).digest().readUInt32BE(0) / 0x1_0000_0000;

export class StoreError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export const CONFLICT_MESSAGE =
  "the object has been modified; please apply your changes to the latest version and try again";

export class FlightctlStore {
  private devices = new Map<string, DeviceRecord>();
  private fleets = new Map<string, FleetRecord>();
  private rv = 1;
  readonly options: Required<Omit<SimulationOptions, "failImages">> & { failImages: readonly string[] };

  constructor(
    options: SimulationOptions = {},
    private readonly now: () => number = Date.now,
  ) {
    this.options = {
      stepMs: options.stepMs ?? 200,
      failureShare: options.failureShare ?? 0,
      failImages: options.failImages ?? [],
      disconnectedMs: options.disconnectedMs ?? 300_000,
    };
  }

  snapshot(): StoreSnapshot {
    return clone({ devices: [...this.devices.values()], fleets: [...this.fleets.values()], rv: this.rv });
  }

  restore(s: StoreSnapshot): void {
    this.devices = new Map(clone(s.devices).map((d) => [d.name, d]));
    this.fleets = new Map(clone(s.fleets).map((f) => [f.fleet.metadata.name!, f]));
    this.rv = s.rv;
  }

  // ---- simulation controls

  /** Enrols a simulated device (its agent starts reporting). */
  enrol(
    name: string,
    labels: Record<string, string>,
    options: { online?: boolean; cpu?: string; memory?: string } = {},
  ): void {
    const rec: DeviceRecord = {
      name,
      labels: { ...labels },
      annotations: {},
      resourceVersion: this.rv++,
      spec: {},
      renderedVersion: 1,
      online: options.online ?? true,
      lastSeen: this.now(),
      appliedVersion: 1,
      appStatuses: [],
      capacity: { cpu: options.cpu ?? "2", memory: options.memory ?? "4Gi" },
      createdAt: new Date(this.now()).toISOString(),
    };
    this.devices.set(name, rec);
    this.assignOwners();
  }

  setOnline(name: string, online: boolean): void {
    const d = this.devices.get(name);
    if (!d) throw new Error(`no device ${name}`);
    d.online = online;
    if (online) d.lastSeen = this.now();
    d.resourceVersion = this.rv++;
  }

  /** Makes an offline device look unseen for `ms` already (as if it went away that long ago). */
  age(name: string, ms: number): void {
    const d = this.devices.get(name);
    if (d) d.lastSeen = this.now() - ms;
  }

  maxInFlight(fleet: string): number {
    return this.fleets.get(fleet)?.maxInFlight ?? 0;
  }

  resetMaxInFlight(fleet: string): void {
    const f = this.fleets.get(fleet);
    if (f) f.maxInFlight = 0;
  }

  deviceNames(): string[] {
    return [...this.devices.keys()].sort();
  }

  // ---- API operations

  /** Devices in name order; `keep` (on name, labels, owner) filters before the views are built. */
  listDevices(
    keep?: (d: { name: string; labels: Record<string, string>; owner?: string | undefined }) => boolean,
  ): Device[] {
    return [...this.devices.values()]
      .filter((d) => keep === undefined || keep(d))
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((d) => this.deviceView(d));
  }

  getDevice(name: string): Device {
    const d = this.devices.get(name);
    if (!d) throw new StoreError(404, `Device of name "${name}" not found`);
    return this.deviceView(d);
  }

  createDevice(body: Device): Device {
    const name = body.metadata.name!;
    if (this.devices.has(name)) throw new StoreError(409, `Device of name "${name}" already exists`);
    this.enrol(name, body.metadata.labels ?? {}, { online: false });
    const d = this.devices.get(name)!;
    if (body.spec && !d.owner) this.render(d, clone(body.spec));
    return this.deviceView(d);
  }

  /** PUT: labels and (for a device no fleet owns) the spec; owned devices take their spec from the fleet. */
  replaceDevice(name: string, body: Device): { device: Device; created: boolean } {
    const d = this.devices.get(name);
    if (!d) {
      return { device: this.createDevice({ ...body, metadata: { ...body.metadata, name } }), created: true };
    }
    this.checkVersion(body.metadata.resourceVersion, d.resourceVersion);
    const spec = body.spec ?? {};
    if (d.owner && digest(normalSpec(spec)) !== digest(normalSpec(d.spec)) && body.spec !== undefined)
      throw new StoreError(409, `Device "${name}" is owned by ${d.owner}: its spec comes from the fleet template`);
    d.labels = { ...(body.metadata.labels ?? {}) };
    d.annotations = userAnnotations(body.metadata.annotations);
    d.resourceVersion = this.rv++;
    this.assignOwners();
    if (!d.owner && digest(normalSpec(spec)) !== digest(normalSpec(d.spec))) this.render(d, clone(spec));
    return { device: this.deviceView(d), created: false };
  }

  deleteDevice(name: string): void {
    if (!this.devices.delete(name)) throw new StoreError(404, `Device of name "${name}" not found`);
  }

  listFleets(): Fleet[] {
    return [...this.fleets.values()]
      .sort((a, b) => (a.fleet.metadata.name! < b.fleet.metadata.name! ? -1 : 1))
      .map((f) => this.fleetView(f));
  }

  getFleet(name: string): Fleet {
    const f = this.fleets.get(name);
    if (!f) throw new StoreError(404, `Fleet of name "${name}" not found`);
    return this.fleetView(f);
  }

  createFleet(body: Fleet): Fleet {
    const name = body.metadata.name!;
    if (this.fleets.has(name)) throw new StoreError(409, `Fleet of name "${name}" already exists`);
    const rec: FleetRecord = {
      fleet: this.cleanFleet(body, {}),
      resourceVersion: this.rv++,
      templateSeq: 0,
      maxInFlight: 0,
    };
    this.fleets.set(name, rec);
    this.assignOwners();
    this.newTemplateIfChanged(rec);
    return this.fleetView(rec);
  }

  replaceFleet(name: string, body: Fleet): { fleet: Fleet; created: boolean } {
    const rec = this.fleets.get(name);
    if (!rec) return { fleet: this.createFleet({ ...body, metadata: { ...body.metadata, name } }), created: true };
    this.checkVersion(body.metadata.resourceVersion, rec.resourceVersion);
    rec.fleet = this.cleanFleet(body, rec.fleet.metadata.annotations ?? {});
    rec.resourceVersion = this.rv++;
    this.assignOwners();
    this.newTemplateIfChanged(rec);
    return { fleet: this.fleetView(rec), created: false };
  }

  deleteFleet(name: string): void {
    if (!this.fleets.delete(name)) throw new StoreError(404, `Fleet of name "${name}" not found`);
    this.assignOwners();
  }

  // ---- the controllers and the device agents, one step

  /** Most devices outside fleets updating at once (online, rendered, not yet done), ever. */
  maxInFlightOutsideFleets = 0;

  tick(): void {
    const now = this.now();
    for (const f of this.fleets.values()) this.rollout(f);
    let free = 0;
    for (const d of this.devices.values()) {
      if (!d.owner && d.online && !this.settled(d)) free++;
      this.agent(d, now);
    }
    this.maxInFlightOutsideFleets = Math.max(this.maxInFlightOutsideFleets, free);
  }

  private agent(d: DeviceRecord, now: number): void {
    if (!d.online) return;
    d.lastSeen = now;
    if (d.renderedVersion !== d.appliedVersion && d.applying?.version !== d.renderedVersion) {
      d.applying = { version: d.renderedVersion, since: now, apps: clone(d.spec.applications ?? []) };
      d.resourceVersion = this.rv++;
    }
    const a = d.applying;
    if (!a) return;
    const steps = Math.floor((now - a.since) / this.options.stepMs);
    const stage = steps <= 0 ? "Preparing" : steps === 1 ? "Starting" : "done";
    const statuses: DeviceApplicationStatus[] = a.apps.map((app) => {
      const image = typeof app["image"] === "string" ? app["image"] : "";
      const fails =
        this.options.failImages.some((f) => image.includes(f)) ||
        (this.options.failureShare > 0 && share(`${d.name}|${image}`) < this.options.failureShare);
      const status = stage === "done" ? (fails ? "Error" : "Running") : stage;
      return {
        name: String(app.name ?? ""),
        ready: status === "Running" ? "1/1" : "0/1",
        restarts: status === "Error" ? 3 : 0,
        status,
        embedded: false,
        appType: app.appType,
      };
    });
    const changed = JSON.stringify(statuses) !== JSON.stringify(d.appStatuses);
    d.appStatuses = statuses;
    if (stage === "done") {
      d.appliedVersion = a.version;
      d.applying = undefined;
    }
    if (changed || stage === "done") d.resourceVersion = this.rv++;
  }

  private rollout(f: FleetRecord): void {
    const r = f.rollout;
    if (!r || r.complete || r.paused) return;
    const name = f.fleet.metadata.name!;
    const policy = f.fleet.spec.rolloutPolicy;
    const members = this.members(name);
    const annotations = (f.fleet.metadata.annotations ??= {});
    // Batch gate: the first batch, and each next one once the current is done and met its threshold.
    if (r.batch < 0 || this.batchDone(r, r.batch)) {
      if (r.batch >= 0) {
        const threshold = parsePercent(
          policy?.deviceSelection?.sequence[r.batch]?.successThreshold ?? policy?.successThreshold ?? "90%",
        );
        const ratio = this.successRatio(r.batches[r.batch]!);
        if (ratio < threshold) {
          r.paused = `batch ${r.batch + 1} succeeded on ${Math.round(ratio * 100)}% of its devices, below ${Math.round(threshold * 100)}%`;
          annotations["fleet-controller/lastRolloutError"] = r.paused;
          f.resourceVersion = this.rv++;
          return;
        }
      }
      if (r.batch + 1 >= r.batches.length) {
        r.complete = true;
        delete annotations[FLEET_ANNOTATIONS.deployingTemplateVersion];
        f.resourceVersion = this.rv++;
        return;
      }
      const manual = annotations[FLEET_ANNOTATIONS.rolloutApprovalMethod] === "manual";
      if (manual && annotations[FLEET_ANNOTATIONS.rolloutApproved] !== "true") return;
      r.batch++;
      if (manual) annotations[FLEET_ANNOTATIONS.rolloutApproved] = "false";
      annotations[FLEET_ANNOTATIONS.batchNumber] = String(r.batch + 1);
      f.resourceVersion = this.rv++;
    }
    // Render the new template to the open batches' devices within the disruption budget.
    const budget = policy?.disruptionBudget?.maxUnavailable ?? Number.POSITIVE_INFINITY;
    const open = new Set(r.batches.slice(0, r.batch + 1).flat());
    let inFlight = members.filter(
      (d) => d.online && d.renderedTemplateVersion === r.templateVersion && !this.settled(d),
    ).length;
    for (const d of members) {
      if (!open.has(d.name) || d.renderedTemplateVersion === r.templateVersion) continue;
      if (d.online && inFlight >= budget) continue;
      this.renderTemplate(d, f, r.templateVersion);
      if (d.online) inFlight++;
    }
    f.maxInFlight = Math.max(f.maxInFlight, inFlight);
  }

  private batchDone(r: Rollout, batch: number): boolean {
    return r.batches[batch]!.every((n) => {
      const d = this.devices.get(n);
      return !d || !d.online || (d.renderedTemplateVersion === r.templateVersion && this.settled(d));
    });
  }

  private successRatio(batch: readonly string[]): number {
    const online = batch.map((n) => this.devices.get(n)).filter((d): d is DeviceRecord => d !== undefined && d.online);
    if (online.length === 0) return 1;
    return online.filter((d) => d.appStatuses.every((a) => a.status === "Running")).length / online.length;
  }

  /** The agent finished the rendered version. */
  private settled(d: DeviceRecord): boolean {
    return d.appliedVersion === d.renderedVersion;
  }

  private renderTemplate(d: DeviceRecord, f: FleetRecord, templateVersion: string): void {
    d.renderedTemplateVersion = templateVersion;
    this.render(d, clone(f.fleet.spec.template.spec));
  }

  private render(d: DeviceRecord, spec: DeviceSpec): void {
    d.spec = spec;
    d.renderedVersion++;
    d.resourceVersion = this.rv++;
  }

  private newTemplateIfChanged(f: FleetRecord): void {
    const dg = digest(normalSpec(f.fleet.spec.template.spec));
    if (dg === f.templateDigest) return;
    f.templateDigest = dg;
    f.templateSeq++;
    const name = f.fleet.metadata.name!;
    const tv = `${name}-${String(f.templateSeq).padStart(4, "0")}`;
    const annotations = (f.fleet.metadata.annotations ??= {});
    annotations[FLEET_ANNOTATIONS.templateVersion] = tv;
    annotations[FLEET_ANNOTATIONS.deployingTemplateVersion] = tv;
    delete annotations["fleet-controller/lastRolloutError"];
    f.maxInFlight = 0;
    const members = this.members(name).map((d) => d);
    const seq = f.fleet.spec.rolloutPolicy?.deviceSelection?.sequence ?? [];
    const batches: string[][] = [];
    const taken = new Set<string>();
    for (const b of seq) {
      const matching = members.filter(
        (d) => !taken.has(d.name) && (b.selector === undefined || selects(b.selector, d.labels)),
      );
      const limit = b.limit === undefined ? matching.length : limitOf(b.limit, matching.length);
      const chosen = matching.slice(0, limit).map((d) => d.name);
      chosen.forEach((n) => taken.add(n));
      batches.push(chosen);
    }
    batches.push(members.filter((d) => !taken.has(d.name)).map((d) => d.name));
    f.rollout = { templateVersion: tv, batches, batch: -1, complete: false };
    if (seq.length > 0) annotations[FLEET_ANNOTATIONS.batchNumber] = "0";
    else delete annotations[FLEET_ANNOTATIONS.batchNumber];
    f.resourceVersion = this.rv++;
    this.rollout(f);
  }

  private members(fleet: string): DeviceRecord[] {
    return [...this.devices.values()]
      .filter((d) => d.owner === `Fleet/${fleet}`)
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** A device belongs to the first fleet (by name) whose selector matches its labels. */
  private assignOwners(): void {
    const fleets = [...this.fleets.values()].sort((a, b) => (a.fleet.metadata.name! < b.fleet.metadata.name! ? -1 : 1));
    for (const d of this.devices.values()) {
      const owner = fleets.find((f) => selects(f.fleet.spec.selector, d.labels));
      const next = owner ? `Fleet/${owner.fleet.metadata.name!}` : undefined;
      if (next === d.owner) continue;
      d.owner = next;
      d.resourceVersion = this.rv++;
      if (owner) {
        // A device joining a fleet gets the fleet's current template at once.
        const tv = owner.fleet.metadata.annotations?.[FLEET_ANNOTATIONS.templateVersion];
        if (tv) this.renderTemplate(d, owner, tv);
      } else {
        d.renderedTemplateVersion = undefined;
      }
    }
  }

  private checkVersion(given: string | undefined, current: number): void {
    if (given !== undefined && given !== "" && given !== String(current)) throw new StoreError(409, CONFLICT_MESSAGE);
  }

  private cleanFleet(body: Fleet, previous: Record<string, string>): Fleet {
    const kept: Record<string, string> = {};
    for (const [k, v] of Object.entries(previous))
      if (k.startsWith("fleet-controller/") && !isUserFleetAnnotation(k)) kept[k] = v;
    const annotations = { ...userAnnotations(body.metadata.annotations), ...kept };
    for (const k of [FLEET_ANNOTATIONS.rolloutApproved, FLEET_ANNOTATIONS.rolloutApprovalMethod]) {
      const v = body.metadata.annotations?.[k];
      if (v !== undefined) annotations[k] = v;
      else if (previous[k] !== undefined) annotations[k] = previous[k];
    }
    return {
      apiVersion: FLIGHTCTL_API_VERSION,
      kind: "Fleet",
      metadata: {
        name: body.metadata.name!,
        ...(body.metadata.labels ? { labels: { ...body.metadata.labels } } : {}),
        annotations,
      },
      spec: clone(body.spec),
    };
  }

  private fleetView(f: FleetRecord): Fleet {
    const name = f.fleet.metadata.name!;
    const members = this.members(name);
    const count = (pick: (d: DeviceRecord) => string): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const d of members) out[pick(d)] = (out[pick(d)] ?? 0) + 1;
      return out;
    };
    const r = f.rollout;
    const view = clone(f.fleet);
    view.metadata.resourceVersion = String(f.resourceVersion);
    view.metadata.generation = f.templateSeq;
    view.status = {
      conditions: [
        {
          type: "RolloutInProgress",
          status: r && !r.complete && !r.paused ? "True" : "False",
          reason: r?.paused ? "Suspended" : r && !r.complete ? "Active" : "Inactive",
          message: r?.paused ?? (r && !r.complete ? `rolling out ${r.templateVersion}` : "no rollout in progress"),
          lastTransitionTime: new Date(this.now()).toISOString(),
        },
      ],
      ...(r && r.batch >= 0 ? { rollout: { currentBatch: r.batch + 1 } } : {}),
      devicesSummary: {
        total: members.length,
        applicationStatus: count((d) => this.appSummary(d)),
        summaryStatus: count((d) => this.summary(d)),
        updateStatus: count((d) => this.updated(d)),
      },
    };
    return view;
  }

  private summary(d: DeviceRecord): "Online" | "Unknown" {
    return d.online || this.now() - d.lastSeen < this.options.disconnectedMs ? "Online" : "Unknown";
  }

  private updated(d: DeviceRecord): "UpToDate" | "Updating" | "OutOfDate" {
    if (d.appliedVersion === d.renderedVersion) return "UpToDate";
    return d.online ? "Updating" : "OutOfDate";
  }

  private appSummary(d: DeviceRecord): string {
    if (d.appStatuses.length === 0) return "NoApplications";
    if (d.appStatuses.some((a) => a.status === "Error")) return "Error";
    if (d.appStatuses.every((a) => a.status === "Running")) return "Healthy";
    return "Degraded";
  }

  private deviceView(d: DeviceRecord): Device {
    const annotations: Record<string, string> = {
      ...d.annotations,
      [DEVICE_ANNOTATIONS.renderedVersion]: String(d.renderedVersion),
    };
    if (d.renderedTemplateVersion) annotations[DEVICE_ANNOTATIONS.renderedTemplateVersion] = d.renderedTemplateVersion;
    const ts = new Date(this.now()).toISOString();
    return {
      apiVersion: FLIGHTCTL_API_VERSION,
      kind: "Device",
      metadata: {
        name: d.name,
        labels: { ...d.labels },
        annotations,
        resourceVersion: String(d.resourceVersion),
        creationTimestamp: d.createdAt,
        ...(d.owner ? { owner: d.owner } : {}),
      },
      spec: clone(d.spec),
      status: {
        conditions: [
          {
            type: "Updating",
            status: this.updated(d) === "UpToDate" ? "False" : "True",
            reason: this.updated(d) === "UpToDate" ? "Updated" : "ApplyingUpdate",
            message: `rendered version ${d.renderedVersion}, applied ${d.appliedVersion}`,
            lastTransitionTime: ts,
          },
        ],
        // Extra systemInfo keys are strings (the spec allows them): what the device offers to applications.
        systemInfo: {
          architecture: "amd64",
          bootID: `boot-${d.name}`,
          operatingSystem: "linux",
          agentVersion: "lab",
          cpuCores: d.capacity.cpu,
          memory: d.capacity.memory,
        },
        applications: clone(d.appStatuses),
        applicationsSummary: { status: this.appSummary(d) },
        resources: { cpu: "Healthy", memory: "Healthy", disk: "Healthy" },
        integrity: { status: "Verified" },
        config: { renderedVersion: String(d.appliedVersion) },
        os: { image: "quay.io/bosun-lab/edge-os:1.0", imageDigest: `sha256:${"0".repeat(64)}` },
        updated: { status: this.updated(d) },
        summary: {
          status: this.summary(d),
          info: d.online ? "seen" : "not seen since " + new Date(d.lastSeen).toISOString(),
        },
        lifecycle: { status: "Enrolled" },
        lastSeen: new Date(d.lastSeen).toISOString(),
      },
    };
  }
}

function normalSpec(spec: DeviceSpec): DeviceSpec {
  return { ...spec, applications: spec.applications ?? [] };
}

function isUserFleetAnnotation(k: string): boolean {
  return k === FLEET_ANNOTATIONS.rolloutApproved || k === FLEET_ANNOTATIONS.rolloutApprovalMethod;
}

/** Annotations a client may set: not the controllers' own. */
function userAnnotations(a: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(a ?? {}))
    if (!k.startsWith("fleet-controller/") && !k.startsWith("device-controller/")) out[k] = v;
  return out;
}

function parsePercent(p: string): number {
  return Number(p.replace("%", "")) / 100;
}

function limitOf(limit: number | string, population: number): number {
  if (typeof limit === "number") return limit;
  return Math.ceil(parsePercent(limit) * population - 1e-9);
}
