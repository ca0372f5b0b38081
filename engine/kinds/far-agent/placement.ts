/**
 * Capacity-aware placement of FAR agents on Flintlock hosts (pure): a named host or the hosts a
 * selector takes, reachable, with room for the agent's vCPUs and memory; among those the least
 * loaded (fewest microVMs, then most free memory, then name), so agents spread. A host is never
 * overcommitted: what is placed is charged before the next agent is placed.
 */
import type { HostInfo } from "./ports.ts";

export interface HostUsage {
  vcpu: number;
  memoryMiB: number;
  vms: number;
}

export interface PlacementRequest {
  readonly key: string;
  readonly vcpu: number;
  readonly memoryMiB: number;
  /** A named host (`spec.microvm.host`), else the selector decides. */
  readonly host: string | undefined;
  readonly selects: (labels: Readonly<Record<string, string>>) => boolean;
  /** Must go to this host (its kept root volume is there). */
  readonly pinned?: string;
}

export type PlacementResult =
  | { readonly host: string }
  | {
      readonly unschedulable: "UnknownHost" | "NoHostMatches" | "InsufficientCapacity" | "HostUnreachable";
      readonly message: string;
    };

export function fits(host: HostInfo, used: HostUsage | undefined, vcpu: number, memoryMiB: number): boolean {
  return (
    (used?.vcpu ?? 0) + vcpu <= host.capacity.vcpu && (used?.memoryMiB ?? 0) + memoryMiB <= host.capacity.memoryMiB
  );
}

export function charge(usage: Map<string, HostUsage>, host: string, vcpu: number, memoryMiB: number): void {
  let u = usage.get(host);
  if (!u) usage.set(host, (u = { vcpu: 0, memoryMiB: 0, vms: 0 }));
  u.vcpu += vcpu;
  u.memoryMiB += memoryMiB;
  u.vms++;
}

/** Places one request, charging `usage` when it is placed. */
export function placeOne(
  request: PlacementRequest,
  hosts: readonly HostInfo[],
  usage: Map<string, HostUsage>,
  reachable: (host: string) => boolean,
): PlacementResult {
  const want = `${request.vcpu} vCPU/${request.memoryMiB} MiB`;
  let candidates: HostInfo[];
  if (request.pinned !== undefined || request.host !== undefined) {
    const name = (request.pinned ?? request.host) as string;
    const h = hosts.find((x) => x.name === name);
    if (!h) return { unschedulable: "UnknownHost", message: `host ${name} is not a configured Flintlock host` };
    candidates = [h];
  } else {
    candidates = hosts.filter((h) => request.selects(h.labels));
    if (candidates.length === 0)
      return { unschedulable: "NoHostMatches", message: "no Flintlock host matches hostSelector" };
  }
  const up = candidates.filter((h) => reachable(h.name));
  if (up.length === 0)
    return {
      unschedulable: "HostUnreachable",
      message: `no reachable host: ${candidates.map((h) => h.name).join(", ")}`,
    };
  let best: HostInfo | undefined;
  for (const h of up) {
    const u = usage.get(h.name);
    if (!fits(h, u, request.vcpu, request.memoryMiB)) continue;
    if (!best) {
      best = h;
      continue;
    }
    const b = usage.get(best.name);
    const load = (u?.vms ?? 0) - (b?.vms ?? 0);
    const free = h.capacity.memoryMiB - (u?.memoryMiB ?? 0) - (best.capacity.memoryMiB - (b?.memoryMiB ?? 0));
    if (load < 0 || (load === 0 && (free > 0 || (free === 0 && h.name < best.name)))) best = h;
  }
  if (!best) {
    const free = up
      .map((h) => {
        const u = usage.get(h.name);
        return `${h.name} ${h.capacity.vcpu - (u?.vcpu ?? 0)} vCPU/${h.capacity.memoryMiB - (u?.memoryMiB ?? 0)} MiB free`;
      })
      .join(", ");
    return { unschedulable: "InsufficientCapacity", message: `${want} does not fit: ${free}` };
  }
  charge(usage, best.name, request.vcpu, request.memoryMiB);
  return { host: best.name };
}
