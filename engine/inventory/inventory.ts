import { refKey, type ObjectRef } from "../model/object-ref.ts";

/** One object Bosun applied. Version-independent identity: group + kind + namespace + name. */
export type InventoryEntry = ObjectRef;

/** What Bosun applied, kept per backend; sorted by key, no duplicates. */
export interface Inventory {
  readonly entries: readonly InventoryEntry[];
}

export { groupOf } from "../model/object-ref.ts";

/** `group/Kind/namespace/name` (`core` for the empty group). */
export const entryKey = refKey;

function cmp(a: InventoryEntry, b: InventoryEntry): number {
  const ka = entryKey(a);
  const kb = entryKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** A sorted, de-duplicated inventory (the later entry of a duplicate key wins, e.g. a newer apiVersion). */
export function makeInventory(entries: Iterable<InventoryEntry>): Inventory {
  const byKey = new Map<string, InventoryEntry>();
  for (const e of entries) {
    byKey.set(entryKey(e), { apiVersion: e.apiVersion, kind: e.kind, namespace: e.namespace, name: e.name });
  }
  return { entries: [...byKey.values()].sort(cmp) };
}

export const EMPTY_INVENTORY: Inventory = { entries: [] };
