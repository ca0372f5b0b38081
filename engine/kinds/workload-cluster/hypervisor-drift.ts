/**
 * The hypervisor inventory as drift (pure): every provisioned infra machine (KVMMachine) of a
 * workload cluster should have a running libvirt domain on its host. One deleted, stopped or
 * changed by hand is drift, shown in `bosun plan`/status; the engine asks the provider to correct
 * it by annotating the infra machine.
 */
import type { JsonObject } from "../../model/object-ref.ts";
import type { LiveDomain } from "./ports.ts";

/** Set on an infra machine whose domain drifted: a watch event the provider reconciles (it recreates the domain). */
export const RECONCILE_REQUEST_ANNOTATION = "bosun.dev/reconcile-requested";

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {});

export interface DomainDrift {
  /** The infra machine's name. */
  readonly machine: string;
  readonly host: string;
  readonly domain: string;
  /** `missing`, or the live libvirt state (`shut off`, `paused`, …). */
  readonly live: string;
}

/** The domain an infra machine says it runs: status.domain.{name,host}, else its providerID `kvm://host/name`. */
export function domainOf(machine: JsonObject): { host?: string; name: string } | undefined {
  const status = obj(machine["status"]);
  const domain = obj(status["domain"]);
  const providerID = obj(machine["spec"])["providerID"];
  const parsed = typeof providerID === "string" ? /^[a-z]+:\/\/([^/]*)\/(.+)$/.exec(providerID) : null;
  const name = typeof domain["name"] === "string" ? domain["name"] : parsed?.[2];
  const host = typeof domain["host"] === "string" ? domain["host"] : parsed?.[1] || undefined;
  if (!name) return undefined;
  return host ? { host, name } : { name };
}

/**
 * Drift of the provisioned machines (ready, not being deleted) against the domains found on the
 * reachable hosts. A machine whose host was not read (unreachable) is not judged.
 */
export function hypervisorDrift(
  machines: readonly JsonObject[],
  domainsByHost: ReadonlyMap<string, readonly LiveDomain[]>,
): DomainDrift[] {
  const out: DomainDrift[] = [];
  for (const m of machines) {
    const meta = obj(m["metadata"]);
    if (meta["deletionTimestamp"] !== undefined) continue;
    if (obj(m["status"])["ready"] !== true) continue;
    const want = domainOf(m);
    if (!want) continue;
    const hosts = want.host !== undefined ? [want.host] : [...domainsByHost.keys()];
    if (hosts.some((h) => !domainsByHost.has(h))) continue;
    const found = hosts.flatMap((h) => (domainsByHost.get(h) ?? []).filter((d) => d.name === want.name));
    const host = want.host ?? found[0]?.host ?? hosts[0] ?? "";
    if (found.length === 0) out.push({ machine: String(meta["name"]), host, domain: want.name, live: "missing" });
    else if (!found.some((d) => d.state === "running"))
      out.push({ machine: String(meta["name"]), host, domain: want.name, live: found[0]?.state ?? "unknown" });
  }
  return out.sort((a, b) => (a.machine < b.machine ? -1 : a.machine > b.machine ? 1 : 0));
}
