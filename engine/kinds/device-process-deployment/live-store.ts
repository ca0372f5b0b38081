import type { LiveProcess } from "../device-process/live-process.ts";
import { DEVICE_KINDS, type Device } from "../../model/device.ts";
import type { Versioned } from "../../model/versioned.ts";
import type { LiveDeployment, LiveState } from "./ports.ts";

const EMPTY_PROCESSES: ReadonlyMap<string, LiveProcess> = new Map();
const EMPTY_BEATS: ReadonlyMap<string, number> = new Map();
const KIND_ORDER = new Map<string, number>(DEVICE_KINDS.map((k, i) => [k, i]));

/** A versioned map handed out copy-on-write: a reader's map never changes under it. */
interface Slot<T> {
  version: number;
  items: Map<string, T>;
  shared: boolean;
}

function writable<T>(slot: Slot<T>): Map<string, T> {
  if (slot.shared) {
    slot.items = new Map(slot.items);
    slot.shared = false;
  }
  return slot.items;
}

function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}

function sameProcess(a: LiveProcess, b: LiveProcess): boolean {
  return (
    a.name === b.name &&
    a.device === b.device &&
    a.revision === b.revision &&
    a.phase === b.phase &&
    a.healthy === b.healthy &&
    a.restartCount === b.restartCount &&
    a.observed === b.observed &&
    a.reason === b.reason
  );
}

/**
 * The in-memory live read model: compact records (devices, LiveProcesses, lease times, a few
 * fields of each deployment) with change versions. Writers (a watch feed, an in-memory backend)
 * call the upsert/remove methods; a write that changes nothing keeps the version. Pure: no I/O.
 */
export class LiveStore implements LiveState {
  private clock = 0;
  private readonly deviceMap = new Map<string, Device>();
  private devicesVersion = 0;
  private deviceList: readonly Device[] | undefined;
  private readonly processSlots = new Map<string, Slot<LiveProcess>>();
  /** Namespace → process name → slot key, so a process that changes deployment label leaves its old slot. */
  private readonly processOwner = new Map<string, Map<string, string>>();
  /** Repeated values (revisions, phases, label values) kept once: 100,000 records share a few strings. */
  private readonly strings = new Map<string, string>();
  private readonly beatSlots = new Map<string, Slot<number>>();
  private readonly deploymentMap = new Map<string, Versioned<LiveDeployment>>();

  private intern<T extends string | undefined>(value: T): T {
    if (value === undefined) return value;
    const known = this.strings.get(value);
    if (known !== undefined) return known as T;
    if (this.strings.size < 50_000) this.strings.set(value, value);
    return value;
  }

  private tick(): number {
    return ++this.clock;
  }

  /**
   * A device from the inventory. Kept per namespace, so the removal of a same-named device elsewhere
   * (another namespace being deleted) never removes this one; the list holds each kind/name once.
   */
  upsertDevice(device: Device, namespace = ""): void {
    const key = `${namespace}/${device.kind}/${device.name}`;
    const old = this.deviceMap.get(key);
    if (old && sameLabels(old.labels, device.labels)) return;
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(device.labels)) labels[this.intern(k)] = this.intern(v);
    this.deviceMap.set(key, { kind: device.kind, name: device.name, labels });
    this.devicesVersion = this.tick();
    this.deviceList = undefined;
  }

  removeDevice(kind: string, name: string, namespace = ""): void {
    if (!this.deviceMap.delete(`${namespace}/${kind}/${name}`)) return;
    this.devicesVersion = this.tick();
    this.deviceList = undefined;
  }

  devices(): Versioned<readonly Device[]> {
    if (!this.deviceList) {
      // Device names are unique across the inventory; while a same-named device is in two namespaces, list it once.
      const unique = new Map<string, Device>();
      for (const d of this.deviceMap.values()) unique.set(`${d.kind}/${d.name}`, d);
      this.deviceList = [...unique.values()].sort(
        (a, b) =>
          (KIND_ORDER.get(a.kind) ?? 9) - (KIND_ORDER.get(b.kind) ?? 9) ||
          (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
      );
    }
    return { version: this.devicesVersion, value: this.deviceList };
  }

  upsertProcess(namespace: string, deployment: string, process: LiveProcess): void {
    let owners = this.processOwner.get(namespace);
    if (!owners) this.processOwner.set(namespace, (owners = new Map()));
    let slot = this.processSlots.get(`${namespace}/${deployment}`);
    if (!slot)
      this.processSlots.set(`${namespace}/${deployment}`, (slot = { version: 0, items: new Map(), shared: false }));
    const key = this.intern(`${namespace}/${deployment}`);
    const owner = owners.get(process.name);
    if (owner !== undefined && owner !== key) this.removeProcess(namespace, process.name);
    const old = slot.items.get(process.name);
    if (old && sameProcess(old, process)) return;
    const name = old?.name ?? process.name;
    writable(slot).set(name, {
      ...process,
      name,
      device: old?.device === process.device ? old.device : process.device,
      revision: this.intern(process.revision),
      phase: this.intern(process.phase),
      reason: this.intern(process.reason),
    });
    slot.version = this.tick();
    owners.set(name, key);
  }

  removeProcess(namespace: string, name: string): void {
    const owners = this.processOwner.get(namespace);
    const key = owners?.get(name);
    if (key === undefined) return;
    owners?.delete(name);
    const slot = this.processSlots.get(key);
    if (slot?.items.has(name)) {
      writable(slot).delete(name);
      slot.version = this.tick();
    }
  }

  /** One process, without handing out the map (no copy on the next write). */
  peekProcess(namespace: string, deployment: string, name: string): LiveProcess | undefined {
    return this.processSlots.get(`${namespace}/${deployment}`)?.items.get(name);
  }

  processes(namespace: string, deployment: string): Versioned<ReadonlyMap<string, LiveProcess>> {
    const slot = this.processSlots.get(`${namespace}/${deployment}`);
    if (!slot) return { version: 0, value: EMPTY_PROCESSES };
    slot.shared = true;
    return { version: slot.version, value: slot.items };
  }

  /** Namespaces that have processes. */
  namespaces(): string[] {
    return [...new Set([...this.processSlots.keys()].map((k) => k.slice(0, k.indexOf("/"))))].sort();
  }

  /** Every live process of a namespace with the deployment it belongs to. */
  processesIn(namespace: string): { deployment: string; process: LiveProcess }[] {
    const out: { deployment: string; process: LiveProcess }[] = [];
    const prefix = `${namespace}/`;
    for (const [key, slot] of this.processSlots) {
      if (!key.startsWith(prefix)) continue;
      const deployment = key.slice(prefix.length);
      for (const process of slot.items.values()) out.push({ deployment, process });
    }
    return out;
  }

  setHeartbeat(namespace: string, device: string, renewedAt: number): void {
    let slot = this.beatSlots.get(namespace);
    if (!slot) this.beatSlots.set(namespace, (slot = { version: 0, items: new Map(), shared: false }));
    if (slot.items.get(device) === renewedAt) return;
    writable(slot).set(device, renewedAt);
    slot.version = this.tick();
  }

  removeHeartbeat(namespace: string, device: string): void {
    const slot = this.beatSlots.get(namespace);
    if (slot?.items.has(device)) {
      writable(slot).delete(device);
      slot.version = this.tick();
    }
  }

  heartbeats(namespace: string): Versioned<ReadonlyMap<string, number>> {
    const slot = this.beatSlots.get(namespace);
    if (!slot) return { version: 0, value: EMPTY_BEATS };
    slot.shared = true;
    return { version: slot.version, value: slot.items };
  }

  /**
   * Sets the live deployment; `changed` says whether it differs from what is stored (the caller knows best, e.g. by
   * resourceVersion).
   */
  setDeployment(namespace: string, name: string, deployment: LiveDeployment, changed = true): void {
    const key = `${namespace}/${name}`;
    const old = this.deploymentMap.get(key);
    if (old && !changed) return;
    this.deploymentMap.set(key, { version: this.tick(), value: deployment });
  }

  removeDeployment(namespace: string, name: string): void {
    if (this.deploymentMap.delete(`${namespace}/${name}`)) this.tick();
  }

  deployment(namespace: string, name: string): Versioned<LiveDeployment | undefined> {
    return this.deploymentMap.get(`${namespace}/${name}`) ?? { version: 0, value: undefined };
  }

  /** Counts, for stats and benchmarks. */
  size(): { devices: number; processes: number; heartbeats: number; deployments: number } {
    let processes = 0;
    for (const s of this.processSlots.values()) processes += s.items.size;
    let heartbeats = 0;
    for (const s of this.beatSlots.values()) heartbeats += s.items.size;
    return { devices: this.deviceMap.size, processes, heartbeats, deployments: this.deploymentMap.size };
  }
}
