import {
  entryKey,
  nextInventory,
  planPrune,
  type Inventory,
  type LiveFacts,
  type PrunePlan,
} from "../inventory/index.ts";
import { refOf, type ObjectRef } from "../model/object-ref.ts";
import type { Backend, Change, JsonObject } from "./ports.ts";

export interface BackendPassOptions {
  readonly prune: boolean;
  /** Largest share (0..1) of this backend's managed objects one pass may delete. */
  readonly maxDeletionShare: number;
  /** The commit opted in to deleting more than that. */
  readonly allowMassDeletion: boolean;
  /**
   * Desired objects held back this pass (their dependencies are not Ready): not applied, but still
   * desired, so never pruned.
   */
  readonly held?: readonly ObjectRef[];
  readonly signal: AbortSignal;
}

export interface BackendPassResult {
  readonly changes: readonly Change[];
  /** Set when the mass-deletion guard refused the prune. */
  readonly pruneRefused?: string;
}

/**
 * The generic pass for one backend, the same for every backend:
 * apply → observe the prune candidates → plan the prune (only what Bosun applied and marked, within
 * the mass-deletion guard) → delete → record the inventory. A crash between apply and the inventory
 * write is safe: the next pass re-applies (no write when unchanged) and records it then.
 */
export async function backendPass(
  backend: Backend,
  desired: readonly JsonObject[],
  options: BackendPassOptions,
): Promise<BackendPassResult> {
  const { signal } = options;
  const previous = await backend.inventory.load(backend.name, signal);
  const applied = desired.length > 0 ? await backend.sink.apply(desired, signal) : [];
  const desiredRefs = [...desired.map(refOf), ...(options.held ?? [])];
  const succeeded = applied.filter((c) => c.error === undefined).map((c) => c.ref);

  const plan = options.prune ? await prunePlan(backend, previous, desiredRefs, options) : { delete: [], skipped: [] };
  const changes: Change[] = [...applied, ...pruneNotes(previous, desiredRefs, plan)];
  const deleted = plan.delete.length > 0 ? await backend.sink.delete(plan.delete, signal) : [];
  changes.push(...deleted);
  const gone = deleted.filter((c) => c.error === undefined).map((c) => c.ref);

  const next = nextInventory(previous, desiredRefs, plan, { applied: succeeded, deleted: gone });
  if (!sameInventory(previous, next)) await backend.inventory.save(backend.name, next, signal);
  return { changes, ...(plan.refused ? { pruneRefused: `${plan.refused.type}: ${plan.refused.message}` } : {}) };
}

async function prunePlan(
  backend: Backend,
  previous: Inventory,
  desired: readonly ObjectRef[],
  options: BackendPassOptions,
): Promise<PrunePlan> {
  const want = new Set(desired.map(entryKey));
  const candidates = previous.entries.filter((e) => !want.has(entryKey(e)));
  const observed = candidates.length > 0 ? await backend.sink.observe(candidates, options.signal) : [];
  const facts = new Map<string, LiveFacts>();
  candidates.forEach((c, i) => {
    const o = observed[i];
    if (o) facts.set(entryKey(c), { managedByBosun: o.managedByBosun });
  });
  return planPrune(previous, desired, (e) => facts.get(entryKey(e)), {
    maxDeleteShare: options.maxDeletionShare,
    allowMassDeletion: options.allowMassDeletion,
  });
}

/** Candidates left alone, as changes: unmarked or already gone, or all of them when the guard refused. */
function pruneNotes(previous: Inventory, desired: readonly ObjectRef[], plan: PrunePlan): Change[] {
  const out: Change[] = plan.skipped.map((s) => ({
    action: "skipped",
    ref: s.entry,
    reason: s.reason === "already-gone" ? "already gone" : "not managed by bosun: left alone",
  }));
  if (plan.refused) {
    const want = new Set([...desired.map(entryKey), ...plan.skipped.map((s) => entryKey(s.entry))]);
    for (const e of previous.entries) {
      if (!want.has(entryKey(e)))
        out.push({ action: "skipped", ref: e, reason: `${plan.refused.type}: ${plan.refused.message}` });
    }
  }
  return out;
}

function sameInventory(a: Inventory, b: Inventory): boolean {
  if (a.entries.length !== b.entries.length) return false;
  for (let i = 0; i < a.entries.length; i++) {
    const x = a.entries[i];
    const y = b.entries[i];
    if (!x || !y || entryKey(x) !== entryKey(y) || x.apiVersion !== y.apiVersion) return false;
  }
  return true;
}
