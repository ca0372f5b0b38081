/**
 * Device generation (pure): a fleet spec and a seed → the simulated devices, deterministic.
 *
 * Layout: `racks` racks (default one per 20 devices), the first half in site-a and the rest in
 * site-b. Switches: one spine per 20 switches (`spine-01`…), the rest top-of-rack switches spread
 * over the racks (`tor<rack>-<nn>`). SoCs are numbered fleet-wide (`soc-node-<nn>`); DPUs, BMCs and
 * servers per rack (`dpu-rack<r>-<nn>`, `bmc-rack<r>-<nn>`, `server-rack<r>-<nn>`).
 */
import { SimulatorError } from "./errors.ts";

export const DEVICE_GROUP = "azure.com";
export const DEVICE_VERSION = "v1alpha1";
export const DEVICE_API_VERSION = `${DEVICE_GROUP}/${DEVICE_VERSION}`;

export type DeviceKind = "NetworkSwitch" | "SOC" | "BMC" | "Server" | "DPU";
export type DeviceType = "switch" | "soc" | "bmc" | "server" | "dpu";

export const KIND_OF_TYPE: Readonly<Record<DeviceType, DeviceKind>> = {
  switch: "NetworkSwitch",
  soc: "SOC",
  bmc: "BMC",
  server: "Server",
  dpu: "DPU",
};

export interface FleetSpec {
  readonly switches?: number;
  readonly socs?: number;
  readonly dpus?: number;
  readonly bmcs?: number;
  readonly servers?: number;
  /** Number of racks (default: one per 20 devices, at least 1). */
  readonly racks?: number;
  /** Spine switches among `switches` (default: one per 20 switches). */
  readonly spines?: number;
}

/** One simulated device: small, so 10,000 of them stay compact. */
export interface SimDevice {
  readonly name: string;
  readonly kind: DeviceKind;
  readonly type: DeviceType;
  /** 1-based rack number. */
  readonly rack: number;
  readonly site: "site-a" | "site-b";
  readonly role?: "tor" | "spine";
}

function count(spec: FleetSpec, key: keyof FleetSpec): number {
  const v = spec[key] ?? 0;
  if (!Number.isInteger(v) || v < 0)
    throw new SimulatorError("InvalidSpec", `fleet spec: ${key} must be a non-negative integer, got ${String(v)}`);
  return v;
}

const pad = (n: number, width: number): string => String(n).padStart(width, "0");
const widthFor = (max: number): number => Math.max(2, String(max).length);

export function totalDevices(spec: FleetSpec): number {
  return (
    count(spec, "switches") + count(spec, "socs") + count(spec, "dpus") + count(spec, "bmcs") + count(spec, "servers")
  );
}

export function rackCount(spec: FleetSpec): number {
  if (spec.racks !== undefined) {
    if (!Number.isInteger(spec.racks) || spec.racks < 1)
      throw new SimulatorError("InvalidSpec", `fleet spec: racks must be a positive integer, got ${spec.racks}`);
    return spec.racks;
  }
  return Math.max(1, Math.ceil(totalDevices(spec) / 20));
}

export function siteOfRack(rack: number, racks: number): "site-a" | "site-b" {
  return rack <= Math.ceil(racks / 2) ? "site-a" : "site-b";
}

/** Spreads `n` devices over the racks round-robin: device i → rack (i mod racks)+1, index ⌊i/racks⌋+1 in it. */
function perRack(
  n: number,
  racks: number,
  make: (rack: number, index: number, width: number) => SimDevice,
): SimDevice[] {
  const width = widthFor(Math.ceil(n / racks));
  const out: SimDevice[] = [];
  for (let i = 0; i < n; i++) out.push(make((i % racks) + 1, Math.floor(i / racks) + 1, width));
  return out;
}

/** The devices of a fleet, in a fixed order (switches, SoCs, DPUs, BMCs, servers). */
export function generateFleet(spec: FleetSpec): SimDevice[] {
  const racks = rackCount(spec);
  const switches = count(spec, "switches");
  const spines = spec.spines ?? Math.floor(switches / 20);
  if (!Number.isInteger(spines) || spines < 0 || spines > switches)
    throw new SimulatorError("InvalidSpec", `fleet spec: spines must be an integer in 0..${switches}, got ${spines}`);
  const site = (rack: number): "site-a" | "site-b" => siteOfRack(rack, racks);
  const out: SimDevice[] = [];
  const spineWidth = widthFor(spines);
  for (let i = 1; i <= spines; i++) {
    const rack = ((i - 1) % racks) + 1;
    out.push({
      name: `spine-${pad(i, spineWidth)}`,
      kind: "NetworkSwitch",
      type: "switch",
      role: "spine",
      rack,
      site: site(rack),
    });
  }
  out.push(
    ...perRack(switches - spines, racks, (rack, i, w) => ({
      name: `tor${rack}-${pad(i, w)}`,
      kind: "NetworkSwitch",
      type: "switch",
      role: "tor",
      rack,
      site: site(rack),
    })),
  );
  const socs = count(spec, "socs");
  const socWidth = widthFor(socs);
  for (let i = 1; i <= socs; i++) {
    const rack = ((i - 1) % racks) + 1;
    out.push({ name: `soc-node-${pad(i, socWidth)}`, kind: "SOC", type: "soc", rack, site: site(rack) });
  }
  for (const type of ["dpu", "bmc", "server"] as const) {
    const n = count(spec, `${type}s`);
    out.push(
      ...perRack(n, racks, (rack, i, w) => ({
        name: `${type}-rack${rack}-${pad(i, w)}`,
        kind: KIND_OF_TYPE[type],
        type,
        rack,
        site: site(rack),
      })),
    );
  }
  return out;
}

/** The labels a device object carries (and that selectors match). */
export function deviceLabels(d: SimDevice): Record<string, string> {
  return { type: d.type, ...(d.role ? { role: d.role } : {}), rack: `rack${d.rack}`, site: d.site };
}
