import type { Json, JsonObject, ManagedFields } from "./types.ts";

/** One manager's FieldsV1 node at the current position of a walk (undefined: owns nothing here). */
export interface OwnerNode {
  readonly manager: string;
  /**
   * The entry is a server-side apply (operation `Apply`, or none given). Only an applier's own
   * entry loses fields it stops applying; an `Update` entry of the same name keeps them.
   */
  readonly apply: boolean;
  readonly node: JsonObject | undefined;
}

function isObj(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The main-resource FieldsV1 trees of every manager (status-subresource entries are left out). */
export function ownerRoots(managed: readonly ManagedFields[] | undefined): OwnerNode[] {
  const out: OwnerNode[] = [];
  for (const m of managed ?? []) {
    if (m.subresource !== undefined && m.subresource !== "") continue;
    if (m.fieldsType !== undefined && m.fieldsType !== "FieldsV1") continue;
    if (!isObj(m.fieldsV1)) continue;
    out.push({ manager: m.manager ?? "", apply: m.operation !== "Update", node: m.fieldsV1 });
  }
  return out;
}

/** Child nodes for map field `key` (`f:key`). */
export function fieldChildren(nodes: readonly OwnerNode[], key: string): OwnerNode[] {
  const k = `f:${key}`;
  return nodes.map((n) => {
    const c = n.node?.[k];
    return { manager: n.manager, apply: n.apply, node: isObj(c) ? c : undefined };
  });
}

/** Managers that own the value at this position (a leaf `{}` or a node marked with `.`). */
export function ownersHere(nodes: readonly OwnerNode[], leaf: boolean): string[] {
  const out = new Set<string>();
  for (const n of nodes) {
    if (n.node === undefined) continue;
    if (leaf || "." in n.node || Object.keys(n.node).length === 0) out.add(n.manager);
  }
  return [...out].sort();
}

export type ListShape =
  { readonly type: "map"; readonly keys: readonly string[] } | { readonly type: "set" } | { readonly type: "unknown" };

/**
 * How a list is merged, as the managedFields of any manager reveal it (`k:` map, `v:` set);
 * `unknown` when none does (the caller then knows the built-in lists, or compares atomically).
 */
export function listShape(nodes: readonly OwnerNode[]): ListShape {
  for (const n of nodes) {
    if (n.node === undefined) continue;
    for (const key of Object.keys(n.node)) {
      if (key.startsWith("k:")) {
        try {
          const parsed = JSON.parse(key.slice(2)) as unknown;
          if (isObj(parsed)) return { type: "map", keys: Object.keys(parsed).sort() };
        } catch {
          continue;
        }
      }
      if (key.startsWith("v:")) return { type: "set" };
    }
  }
  return { type: "unknown" };
}

/** True when a FieldsV1 node owns anything below itself (`f:`, `k:`, `v:`, `i:` children). */
export function hasChildren(node: JsonObject | undefined): boolean {
  if (node === undefined) return false;
  for (const key of Object.keys(node)) if (key !== ".") return true;
  return false;
}

/** Values of `v:` entries in one manager's node (set items it owns). */
export function ownedSetValues(node: JsonObject | undefined): Json[] {
  const out: Json[] = [];
  for (const key of Object.keys(node ?? {})) {
    if (!key.startsWith("v:")) continue;
    try {
      out.push(JSON.parse(key.slice(2)) as Json);
    } catch {
      continue;
    }
  }
  return out;
}

function sameScalar(a: Json | undefined, b: Json | undefined): boolean {
  return (
    a === b ||
    (a !== undefined &&
      b !== undefined &&
      a !== null &&
      b !== null &&
      typeof a !== "object" &&
      typeof b !== "object" &&
      String(a) === String(b))
  );
}

/**
 * True when list item `item` has the key values in `keyValues`. Only keys present on both sides
 * count: a desired item may leave a defaulted key out (a port's `protocol: TCP`).
 */
export function matchesKey(item: Json, keyValues: Readonly<Record<string, Json | undefined>>): boolean {
  if (!isObj(item)) return false;
  for (const [k, v] of Object.entries(keyValues)) {
    if (v === undefined || item[k] === undefined) continue;
    if (!sameScalar(item[k], v)) return false;
  }
  return true;
}

/** Child nodes for an associative-list item, found by its key values. */
export function itemChildren(
  nodes: readonly OwnerNode[],
  keyValues: Readonly<Record<string, Json | undefined>>,
): OwnerNode[] {
  return nodes.map((n) => {
    if (n.node === undefined) return { manager: n.manager, apply: n.apply, node: undefined };
    for (const [key, child] of Object.entries(n.node)) {
      if (!key.startsWith("k:") || !isObj(child)) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(key.slice(2));
      } catch {
        continue;
      }
      if (isObj(parsed) && matchesKey(parsed, keyValues)) return { manager: n.manager, apply: n.apply, node: child };
    }
    return { manager: n.manager, apply: n.apply, node: undefined };
  });
}

/** Key values of `k:` entries in one manager's node (associative-list items it owns). */
export function ownedItemKeys(node: JsonObject | undefined): JsonObject[] {
  const out: JsonObject[] = [];
  for (const key of Object.keys(node ?? {})) {
    if (!key.startsWith("k:")) continue;
    try {
      const parsed = JSON.parse(key.slice(2)) as unknown;
      if (isObj(parsed)) out.push(parsed);
    } catch {
      continue;
    }
  }
  return out;
}

export { isObj, sameScalar };
