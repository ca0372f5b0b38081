import { entryKey, makeInventory, type Inventory, type InventoryEntry } from "./inventory.ts";

/** Default largest share of managed objects one pass may delete. */
export const DEFAULT_MAX_DELETE_SHARE = 0.3;

/**
 * Opt-in for one commit to exceed the share: this annotation on the fleet's `bosun.yaml`
 * (`metadata.annotations`) set to "true".
 */
export const ALLOW_MASS_DELETION_ANNOTATION = "bosun.dev/allow-mass-deletion";

export interface PrunePolicy {
  /** 0..1; default 0.3. */
  readonly maxDeleteShare?: number;
  /** The commit opted in (see {@link massDeletionOptIn}). */
  readonly allowMassDeletion?: boolean;
}

/** What the live cluster says about a candidate: undefined when the object is already gone. */
export interface LiveFacts {
  readonly managedByBosun: boolean;
}

export interface MassDeletionRefused {
  readonly type: "MassDeletionRefused";
  readonly wouldDelete: number;
  readonly managed: number;
  /** wouldDelete / managed. */
  readonly share: number;
  readonly maxShare: number;
  readonly message: string;
}

export type PruneSkipReason = "not-managed-by-bosun" | "already-gone";

export interface PrunePlan {
  /** Delete these now (sorted). */
  readonly delete: readonly InventoryEntry[];
  /** Left alone and dropped from the inventory. */
  readonly skipped: ReadonlyArray<{ readonly entry: InventoryEntry; readonly reason: PruneSkipReason }>;
  /** Set when the guard refused; then `delete` is empty and the candidates stay in the inventory. */
  readonly refused?: MassDeletionRefused;
}

export function massDeletionOptIn(bosunYamlAnnotations: Readonly<Record<string, string>> | undefined): boolean {
  return bosunYamlAnnotations?.[ALLOW_MASS_DELETION_ANNOTATION] === "true";
}

/**
 * Flux-style prune decision: delete only objects that are in the previous inventory, are no longer
 * desired, and still carry `app.kubernetes.io/managed-by: bosun` in live. Refuses the whole pass
 * when it would delete more than `maxDeleteShare` of the managed objects, unless opted in.
 */
export function planPrune(
  previous: Inventory,
  desired: Iterable<InventoryEntry>,
  live: (e: InventoryEntry) => LiveFacts | undefined,
  policy: PrunePolicy = {},
): PrunePlan {
  const want = new Set([...desired].map(entryKey));
  const candidates: InventoryEntry[] = [];
  const skipped: Array<{ entry: InventoryEntry; reason: PruneSkipReason }> = [];
  for (const e of previous.entries) {
    if (want.has(entryKey(e))) continue;
    const facts = live(e);
    if (facts === undefined) skipped.push({ entry: e, reason: "already-gone" });
    else if (!facts.managedByBosun) skipped.push({ entry: e, reason: "not-managed-by-bosun" });
    else candidates.push(e);
  }
  const maxShare = policy.maxDeleteShare ?? DEFAULT_MAX_DELETE_SHARE;
  const managed = previous.entries.length;
  const share = managed === 0 ? 0 : candidates.length / managed;
  if (candidates.length > 0 && share > maxShare && policy.allowMassDeletion !== true) {
    const pct = (x: number): string => `${Math.round(x * 1000) / 10}%`;
    return {
      delete: [],
      skipped,
      refused: {
        type: "MassDeletionRefused",
        wouldDelete: candidates.length,
        managed,
        share,
        maxShare,
        message:
          `refusing to delete ${candidates.length} of ${managed} managed objects (${pct(share)} > ${pct(maxShare)}); ` +
          `set metadata.annotations["${ALLOW_MASS_DELETION_ANNOTATION}"]: "true" in bosun.yaml for this commit to allow it`,
      },
    };
  }
  return { delete: makeInventory(candidates).entries, skipped };
}

export interface PassOutcome {
  /** Desired objects applied successfully this pass. */
  readonly applied: Iterable<InventoryEntry>;
  /** Prune deletions confirmed gone. */
  readonly deleted: Iterable<InventoryEntry>;
}

/**
 * The inventory after a pass: every desired object that was applied (or was already in the
 * inventory), plus previous entries not yet pruned — refused ones and failed deletes stay and are
 * retried next pass; skipped ones (unlabelled or already gone) are dropped.
 */
export function nextInventory(
  previous: Inventory,
  desired: Iterable<InventoryEntry>,
  plan: PrunePlan,
  outcome: PassOutcome,
): Inventory {
  const prev = new Set(previous.entries.map(entryKey));
  const applied = new Set([...outcome.applied].map(entryKey));
  const deleted = new Set([...outcome.deleted].map(entryKey));
  const dropped = new Set(plan.skipped.map((s) => entryKey(s.entry)));
  const desiredList = [...desired];
  const want = new Set(desiredList.map(entryKey));
  const out: InventoryEntry[] = desiredList.filter((d) => applied.has(entryKey(d)) || prev.has(entryKey(d)));
  for (const e of previous.entries) {
    const k = entryKey(e);
    if (want.has(k) || dropped.has(k) || deleted.has(k)) continue;
    out.push(e);
  }
  return makeInventory(out);
}
