/**
 * Where a Pod of the virtual node runs (pure): an online device outside any fleet whose labels
 * match the node's device selector and the Pod's node selector (minus the node's own labels), with
 * room for the Pod's requests next to the Pods already there; least loaded first, then by name.
 */
import type { EdgeDevice } from "../../../engine/kinds/edge-workload/ports.ts";
import { quantity } from "../../../engine/kinds/edge-workload/workload.ts";

type Json = Record<string, unknown>;

export interface Requests {
  readonly cpuMilli: number;
  readonly memoryBytes: number;
}

export function podRequests(containers: readonly Json[]): Requests {
  let cpuMilli = 0;
  let memoryBytes = 0;
  for (const c of containers) {
    const res = (c["resources"] ?? {}) as Json;
    const want = (res["requests"] ?? res["limits"] ?? {}) as Json;
    const cpu = quantity(want["cpu"]);
    const mem = quantity(want["memory"]);
    if (Number.isFinite(cpu)) cpuMilli += cpu * 1000;
    if (Number.isFinite(mem)) memoryBytes += mem;
  }
  return { cpuMilli, memoryBytes };
}

export type Placement = { readonly device: string } | { readonly unschedulable: string };

export function placePod(input: {
  readonly nodeSelector: Readonly<Record<string, string>>;
  readonly nodeLabels: Readonly<Record<string, string>>;
  readonly requests: Requests;
  readonly devices: readonly EdgeDevice[];
  /** Requests already placed per device. */
  readonly used: ReadonlyMap<string, Requests>;
  readonly reachable: (d: EdgeDevice) => boolean;
}): Placement {
  const wanted = Object.entries(input.nodeSelector).filter(([k, v]) => input.nodeLabels[k] !== v);
  const matching = input.devices.filter((d) => d.owner === undefined && wanted.every(([k, v]) => d.labels[k] === v));
  if (matching.length === 0)
    return {
      unschedulable: `no Flightctl device outside a fleet has the labels ${wanted.map(([k, v]) => `${k}=${v}`).join(",") || "(any)"}`,
    };
  const online = matching.filter(input.reachable);
  if (online.length === 0) return { unschedulable: `${matching.length} matching devices, none online` };
  const free = (d: EdgeDevice): Requests => {
    const u = input.used.get(d.name) ?? { cpuMilli: 0, memoryBytes: 0 };
    return { cpuMilli: d.capacity.cpuMilli - u.cpuMilli, memoryBytes: d.capacity.memoryBytes - u.memoryBytes };
  };
  const fits = online.filter((d) => {
    const f = free(d);
    return f.cpuMilli >= input.requests.cpuMilli && f.memoryBytes >= input.requests.memoryBytes;
  });
  if (fits.length === 0)
    return {
      unschedulable: `${online.length} matching devices online, none with ${input.requests.cpuMilli}m CPU and ${Math.round(input.requests.memoryBytes / 2 ** 20)}Mi memory free`,
    };
  const best = [...fits].sort((a, b) => {
    const fa = free(a);
    const fb = free(b);
    return fb.cpuMilli - fa.cpuMilli || fb.memoryBytes - fa.memoryBytes || (a.name < b.name ? -1 : 1);
  })[0]!;
  return { device: best.name };
}

/** The node's capacity: what the online devices outside fleets offer, summed. */
export function nodeCapacity(devices: readonly EdgeDevice[], podsPerDevice: number): Json {
  const cpu = devices.reduce((s, d) => s + d.capacity.cpuMilli, 0);
  const mem = devices.reduce((s, d) => s + d.capacity.memoryBytes, 0);
  return {
    cpu: `${Math.floor(cpu)}m`,
    memory: `${Math.floor(mem / 1024)}Ki`,
    pods: String(devices.length * podsPerDevice),
  };
}
