/**
 * One step of a TenantCluster, derived from live state alone (pure), so a restarted engine resumes
 * where the last one stopped:
 *
 * 1. Bad input is refused before anything is created or changed: a Kubernetes version Kamaji
 *    refuses, a template VM that does not exist (when workers must be cloned), a size no eligible
 *    Proxmox node can hold.
 * 2. The TenantControlPlane is applied when missing or out of sync; workers wait until it is Ready
 *    on the wanted version.
 * 3. Workers: index order is age order. The `count` oldest are kept; the rest are removed newest
 *    first (Node, then VM shut down and destroyed). Missing ones are cloned (placed on the eligible
 *    node with the fewest of this tenant's workers that can hold one), configured (size, disk,
 *    cloud-init join data) and started. A resize sets the new size at once and restarts running
 *    workers within `restartBudgetPerNode` (a worker whose Node is not Ready counts against its
 *    node's budget). `powerState: Stopped` shuts every worker down; Running starts them.
 */
import { sizeOf } from "./workers.ts";
import type { LiveWorker, ProxmoxNodeInfo, TenantSnapshot } from "./ports.ts";
import type { TenantCluster } from "./spec.ts";

export interface Refusal {
  readonly reason: "VersionRefused" | "TemplateNotFound" | "InsufficientCapacity" | "NoEligibleNode";
  readonly message: string;
}

export interface Step {
  readonly refusal: Refusal | undefined;
  readonly applyTcp: boolean;
  /** The control plane is Ready on the wanted version. */
  readonly tcpReady: boolean;
  readonly duplicates: readonly LiveWorker[];
  /** Newest first. */
  readonly removals: readonly LiveWorker[];
  readonly clones: readonly { readonly index: number; readonly node: string }[];
  readonly resizes: readonly LiveWorker[];
  readonly configures: readonly LiveWorker[];
  readonly starts: readonly LiveWorker[];
  readonly restarts: readonly LiveWorker[];
  readonly shutdowns: readonly LiveWorker[];
  /** The workers kept (the `count` oldest). */
  readonly kept: readonly LiveWorker[];
  /** Running workers that wait for their node's restart budget. */
  readonly restartsHeld: number;
  /** Why nothing more can happen now (waiting for the control plane, a lock …). */
  readonly waiting: string | undefined;
}

export interface DecideOptions {
  /** Workers restarted at once per Proxmox node (resize). Default 1. */
  readonly restartBudgetPerNode?: number;
}

function eligibleNodes(t: TenantCluster, nodes: readonly ProxmoxNodeInfo[]): ProxmoxNodeInfo[] {
  const allowed = t.workers.nodes;
  return nodes.filter((n) => n.online && (allowed === undefined || allowed.includes(n.name)));
}

const fits = (t: TenantCluster, n: ProxmoxNodeInfo): boolean =>
  n.maxcpu >= t.workers.cores && n.maxmemMiB >= t.workers.memoryMiB;

function refusalOf(t: TenantCluster, live: TenantSnapshot, needClones: boolean): Refusal | undefined {
  const w = t.workers;
  if (live.tcpRefusal !== undefined)
    return {
      reason: "VersionRefused",
      message: `Kamaji refuses Kubernetes ${t.controlPlane.version}: ${live.tcpRefusal}; set spec.controlPlane.version to a version Kamaji accepts`,
    };
  if (needClones && live.template === undefined)
    return {
      reason: "TemplateNotFound",
      message: `template VM ${w.templateVmid}${w.templateNode ? ` on ${w.templateNode}` : ""} does not exist; set spec.workers.template.vmid to an existing Proxmox template`,
    };
  if (w.count === 0) return undefined;
  const eligible = eligibleNodes(t, live.proxmoxNodes);
  if (eligible.length === 0)
    return {
      reason: "NoEligibleNode",
      message: `no online Proxmox node${w.nodes ? ` among ${w.nodes.join(", ")}` : ""} can host workers; fix spec.workers.nodeSelector`,
    };
  if (!eligible.some((n) => fits(t, n)))
    return {
      reason: "InsufficientCapacity",
      message: `a worker of ${w.cores} cores and ${w.memoryMiB} MiB does not fit on any eligible node (${eligible
        .map((n) => `${n.name}: ${n.maxcpu} cores, ${n.maxmemMiB} MiB`)
        .join("; ")}); lower spec.workers.cores/memoryMiB`,
    };
  return undefined;
}

const NONE: Omit<Step, "refusal" | "applyTcp" | "tcpReady" | "kept" | "waiting"> = {
  duplicates: [],
  removals: [],
  clones: [],
  resizes: [],
  configures: [],
  starts: [],
  restarts: [],
  shutdowns: [],
  restartsHeld: 0,
};

export function decide(t: TenantCluster, live: TenantSnapshot, options: DecideOptions = {}): Step {
  const w = t.workers;
  const sorted = [...live.workers].sort((a, b) => a.index - b.index);
  const kept = sorted.slice(0, w.count);
  const removals = sorted.slice(w.count).reverse();
  const needClones = kept.length < w.count;
  const refusal = refusalOf(t, live, needClones);
  const tcp = live.tcp;
  const tcpReady =
    tcp !== undefined &&
    !tcp.deleting &&
    tcp.inSync &&
    tcp.versionStatus === "Ready" &&
    tcp.version === t.controlPlane.version;
  if (refusal) return { ...NONE, refusal, applyTcp: false, tcpReady, kept, waiting: undefined };
  const applyTcp = tcp === undefined || (!tcp.deleting && !tcp.inSync);
  const base = { ...NONE, refusal: undefined, applyTcp, tcpReady, kept, duplicates: live.duplicates };
  if (tcp?.deleting) return { ...base, applyTcp: false, waiting: "the TenantControlPlane is being deleted" };
  if (!tcpReady)
    return {
      ...base,
      waiting: `waiting for the control plane (TenantControlPlane ${tcp?.versionStatus ?? "not created yet"}${
        tcp?.version && tcp.version !== t.controlPlane.version ? `, runs ${tcp.version}` : ""
      })`,
    };

  // Placement of new workers: fewest of this tenant's workers first, then by name.
  const eligible = eligibleNodes(t, live.proxmoxNodes).filter((n) => fits(t, n));
  const perNode = new Map(eligible.map((n) => [n.name, 0]));
  for (const k of kept) perNode.set(k.node, (perNode.get(k.node) ?? 0) + 1);
  let next = Math.max(0, ...[...live.workers, ...live.duplicates].map((x) => x.index)) + 1;
  const clones: { index: number; node: string }[] = [];
  for (let i = kept.length; i < w.count; i++) {
    const node = [...eligible].sort(
      (a, b) => (perNode.get(a.name) ?? 0) - (perNode.get(b.name) ?? 0) || a.name.localeCompare(b.name),
    )[0]?.name as string;
    perNode.set(node, (perNode.get(node) ?? 0) + 1);
    clones.push({ index: next++, node });
  }

  const size = sizeOf(w.cores, w.memoryMiB);
  const nodeReady = new Map((live.nodes ?? []).map((n) => [n.name, n.ready]));
  const budget = options.restartBudgetPerNode ?? 1;
  const unavailable = new Map<string, number>();
  for (const k of kept)
    if (k.power === "running" && nodeReady.get(k.name) !== true)
      unavailable.set(k.node, (unavailable.get(k.node) ?? 0) + 1);

  const resizes: LiveWorker[] = [];
  const configures: LiveWorker[] = [];
  const starts: LiveWorker[] = [];
  const restarts: LiveWorker[] = [];
  const shutdowns: LiveWorker[] = [];
  let restartsHeld = 0;
  let locked = 0;
  for (const k of kept) {
    if (k.lock !== undefined) {
      locked++;
      continue;
    }
    const sized = k.cores === w.cores && k.memoryMiB === w.memoryMiB;
    const diskOk = k.diskGiB === undefined || k.diskGiB >= w.diskGiB;
    if (k.power === "stopped") {
      if (!k.joinConfigured || !diskOk) configures.push(k);
      else if (!sized) resizes.push(k);
      if (w.powerState === "Running") starts.push(k);
      continue;
    }
    if (w.powerState === "Stopped") {
      shutdowns.push(k);
      continue;
    }
    if (!sized || !diskOk) resizes.push(k);
    if (k.bootedSize !== size) {
      if (live.nodes === undefined) {
        restartsHeld++;
        continue;
      }
      const notReady = nodeReady.get(k.name) !== true;
      const used = unavailable.get(k.node) ?? 0;
      if (notReady) restarts.push(k);
      else if (used < budget) {
        restarts.push(k);
        unavailable.set(k.node, used + 1);
      } else restartsHeld++;
    }
  }
  return {
    ...base,
    removals,
    clones,
    resizes,
    configures,
    starts,
    restarts,
    shutdowns,
    restartsHeld,
    waiting: locked > 0 ? `${locked} worker VM(s) locked by a Proxmox operation in flight` : undefined,
  };
}
