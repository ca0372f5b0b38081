/** One object Bosun applied. Version-independent identity: group + kind + namespace + name. */
export interface InventoryEntry {
  readonly apiVersion: string;
  readonly kind: string;
  /** "" for cluster-scoped objects. */
  readonly namespace: string;
  readonly name: string;
}

/** What Bosun applied, kept with the fleet object's status; sorted by key, no duplicates. */
export interface Inventory {
  readonly entries: readonly InventoryEntry[];
}

export function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf("/");
  return i < 0 ? "" : apiVersion.slice(0, i);
}

/** `group/Kind/namespace/name` (`core` for the empty group). */
export function entryKey(e: { apiVersion: string; kind: string; namespace: string; name: string }): string {
  return `${groupOf(e.apiVersion) || "core"}/${e.kind}/${e.namespace}/${e.name}`;
}

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
