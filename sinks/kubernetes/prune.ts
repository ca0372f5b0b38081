import type { PropagationPolicy } from "../../clients/kubernetes/client.ts";
import { describeRef, type KubeObject } from "../../clients/kubernetes/types.ts";
import { isManagedByBosun } from "../../engine/diff/index.ts";
import {
  entryKey, makeInventory, nextInventory, planPrune,
  type Inventory, type InventoryEntry, type LiveFacts, type PrunePlan, type PrunePolicy,
} from "../../engine/inventory/index.ts";
import type { ChangeSetEntry } from "./changeset.ts";
import { applyRank, mapLimit } from "./order.ts";
import type { KubernetesSink } from "./sink.ts";
import type { KubeClient } from "../../clients/kubernetes/client.ts";

export interface ReconcileResult {
  readonly entries: readonly ChangeSetEntry[];
  /** The inventory to keep with the status. */
  readonly inventory: Inventory;
  readonly prune: PrunePlan;
}

export interface ReconcileOptions {
  readonly prune?: boolean;
  readonly policy?: PrunePolicy;
  readonly propagationPolicy?: PropagationPolicy;
  /** How long one prune delete may take to be gone (default 120 s); past it the entry stays in the inventory. */
  readonly deleteTimeoutMs?: number;
  readonly signal?: AbortSignal;
}

export function inventoryEntryOf(o: KubeObject): InventoryEntry {
  return { apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace ?? "", name: o.metadata.name };
}

function objRef(e: InventoryEntry): { apiVersion: string; kind: string; namespace?: string; name: string } {
  return e.namespace === "" ? { apiVersion: e.apiVersion, kind: e.kind, name: e.name } : e;
}

/** Reads the live facts prune needs (exists? labelled?) for every candidate. */
async function liveFacts(client: KubeClient, entries: readonly InventoryEntry[], signal?: AbortSignal): Promise<Map<string, LiveFacts>> {
  const facts = new Map<string, LiveFacts>();
  await mapLimit(entries, 16, async (e) => {
    const live = await client.get(objRef(e), signal).catch((err: unknown) => {
      // Kind gone (CRD deleted): the object is gone too.
      if (err instanceof Error && "reason" in err && (err as { reason: string }).reason === "NoKindMatch") return undefined;
      throw err;
    });
    if (live !== undefined) facts.set(entryKey(e), { managedByBosun: isManagedByBosun(live) });
  });
  return facts;
}

/**
 * One pass: apply the desired set, then prune what the previous inventory holds and desired no
 * longer does (labelled objects only, mass-deletion guard), and compute the next inventory.
 */
export async function reconcileSet(
  sink: KubernetesSink, client: KubeClient, desired: readonly KubeObject[], previous: Inventory, opts: ReconcileOptions = {},
): Promise<ReconcileResult> {
  const applied = await sink.applyAll(desired, opts.signal);
  const desiredEntries = desired.map(inventoryEntryOf);
  const ok = applied.filter((e) => e.action !== "skipped" || e.error === undefined).map((e) => e.ref);
  if (opts.prune === false) {
    const plan: PrunePlan = { delete: [], skipped: [] };
    return { entries: applied, inventory: nextInventory(previous, desiredEntries, plan, { applied: ok, deleted: [] }), prune: plan };
  }
  const want = new Set(desiredEntries.map(entryKey));
  const candidates = previous.entries.filter((e) => !want.has(entryKey(e)));
  const facts = await liveFacts(client, candidates, opts.signal);
  const plan = planPrune(previous, desiredEntries, (e) => facts.get(entryKey(e)), opts.policy ?? {});
  const entries: ChangeSetEntry[] = [...applied];
  for (const s of plan.skipped) {
    entries.push({ action: "skipped", subject: describeRef(s.entry), ref: s.entry, reason: s.reason === "already-gone" ? "already gone" : "not managed by bosun: left alone" });
  }
  if (plan.refused) {
    const refusedSet = new Set(plan.skipped.map((s) => entryKey(s.entry)));
    for (const c of candidates) {
      if (refusedSet.has(entryKey(c))) continue;
      entries.push({ action: "skipped", subject: describeRef(c), ref: c, reason: `${plan.refused.type}: ${plan.refused.message}` });
    }
  }
  // Delete namespaced objects before Namespaces before CRDs.
  const order = [...plan.delete].sort((a, b) => applyRank(b.kind) - applyRank(a.kind));
  const deleted: InventoryEntry[] = [];
  for (const rank of [2, 1, 0]) {
    const batch = order.filter((e) => applyRank(e.kind) === rank);
    const res = await mapLimit(batch, 16, (e) => sink.delete(e, { ...(opts.deleteTimeoutMs !== undefined ? { timeoutMs: opts.deleteTimeoutMs } : {}), ...(opts.propagationPolicy ? { propagationPolicy: opts.propagationPolicy } : {}), ...(opts.signal ? { signal: opts.signal } : {}) }));
    for (const r of res) {
      entries.push(r);
      if (r.error === undefined) deleted.push(r.ref);
    }
  }
  return { entries, inventory: nextInventory(previous, desiredEntries, plan, { applied: ok, deleted }), prune: plan };
}

export { makeInventory };
