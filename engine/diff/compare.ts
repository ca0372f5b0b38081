import {
  fieldChildren,
  hasChildren,
  isObj,
  itemChildren,
  listShape,
  matchesKey,
  ownedItemKeys,
  ownedSetValues,
  ownersHere,
  sameScalar,
  type OwnerNode,
} from "./fields-v1.ts";
import { KEY_DEFAULTS, knownListKeys } from "./kube-semantics.ts";
import { childPointer, underPointer } from "./pointer.ts";
import { quantityAt, sameQuantity, type Path } from "./quantity.ts";
import type { FieldDiff, Json, JsonObject } from "./types.ts";

interface Ctx {
  readonly ignore: readonly string[];
  /** Differences in fields these managers own in live are not differences (Argo's `managedFieldsManagers`). */
  readonly ignoreManagers: ReadonlySet<string>;
  readonly manager: string;
  readonly out: FieldDiff[];
}

type KeyValues = Record<string, Json | undefined>;

const at = (up: Path | undefined, t: string): Path => ({ t, up });

function isEmpty(v: Json | undefined): boolean {
  return (
    v === undefined || v === null || (Array.isArray(v) && v.length === 0) || (isObj(v) && Object.keys(v).length === 0)
  );
}

function ignored(ctx: Ctx, ptr: string): boolean {
  for (const p of ctx.ignore) if (underPointer(ptr, p)) return true;
  return false;
}

function push(ctx: Ctx, d: FieldDiff): void {
  if (ctx.ignore.length > 0 && ignored(ctx, d.pointer)) return;
  if (ctx.ignoreManagers.size > 0 && d.owners.some((m) => ctx.ignoreManagers.has(m))) return;
  ctx.out.push(d);
}

/** The manager's own server-side apply entry at this position: what it loses when it stops applying a field. */
function mine(ctx: Ctx, nodes: readonly OwnerNode[]): JsonObject | undefined {
  return nodes.find((n) => n.manager === ctx.manager && n.apply)?.node;
}

/** Any other owner: another manager, or the same name through an `Update` (which keeps its fields). */
function otherOwner(ctx: Ctx, n: OwnerNode): boolean {
  return n.manager !== ctx.manager || !n.apply;
}

/** Scalars are equal as written (a number equals its string form), or as quantities where the API has one. */
function sameValue(desired: Json, live: Json, path: Path | undefined): boolean {
  return sameScalar(desired, live) || (quantityAt(path) && sameQuantity(desired, live));
}

/** The key values of a list item, with the server's default for a key field the item leaves out. */
function keyOf(item: Json, keys: readonly string[]): KeyValues {
  const kv: KeyValues = {};
  for (const k of keys) kv[k] = isObj(item) && item[k] !== undefined ? item[k] : KEY_DEFAULTS[k];
  return kv;
}

/**
 * A field the manager owns in live and no longer desires. Ownership counts per owned key, not per
 * parent: when the manager owns keys below the field, each is looked at on its own (another
 * manager's sibling key keeps only itself); when it owns the field as a whole, it goes unless
 * another manager owns it too.
 */
function removedField(ctx: Ctx, live: Json, nodes: readonly OwnerNode[], ptr: string, path: Path): void {
  const own = mine(ctx, nodes);
  if (hasChildren(own) && isObj(live)) return removedFromMap(ctx, {}, live, nodes, ptr, path, undefined);
  if (hasChildren(own) && Array.isArray(live)) return removedFromList(ctx, [], live, nodes, ptr, path);
  if (nodes.some((n) => n.node !== undefined && otherOwner(ctx, n))) return;
  push(ctx, { pointer: ptr, kind: "removed", live, owners: [ctx.manager] });
}

/**
 * Fields the manager owns under a map that desired no longer sets. A field desired sets (an empty
 * map or list included: the manager owns it as present) is not removed; nor is a list-key field
 * an item leaves out (the server defaults it, e.g. a port's protocol).
 */
function removedFromMap(
  ctx: Ctx,
  desired: JsonObject,
  live: JsonObject,
  nodes: readonly OwnerNode[],
  ptr: string,
  path: Path | undefined,
  keyFields: readonly string[] | undefined,
): void {
  const own = mine(ctx, nodes);
  if (own === undefined) return;
  for (const key of Object.keys(own)) {
    if (!key.startsWith("f:")) continue;
    const name = key.slice(2);
    const dv = desired[name];
    if (dv !== undefined && dv !== null) continue;
    if (dv === undefined && keyFields?.includes(name)) continue;
    const lv = live[name];
    if (lv === undefined || lv === null) continue;
    removedField(ctx, lv, fieldChildren(nodes, name), childPointer(ptr, name), at(path, name));
  }
}

/** List items (keyed or set values) the manager owns in live that desired no longer has. */
function removedFromList(
  ctx: Ctx,
  desired: readonly Json[],
  live: readonly Json[],
  nodes: readonly OwnerNode[],
  ptr: string,
  path: Path,
  keys?: readonly string[],
): void {
  const own = mine(ctx, nodes);
  if (own === undefined) return;
  for (const kv of ownedItemKeys(own)) {
    const itemKeys = keys ?? Object.keys(kv);
    if (desired.some((d) => matchesKey(kv, keyOf(d, itemKeys)))) continue;
    const idx = live.findIndex((l) => matchesKey(l, kv));
    if (idx < 0) continue;
    const item = itemChildren(nodes, kv);
    const others = item.filter((n) => otherOwner(ctx, n) && n.node !== undefined && ownersHere([n], false).length > 0);
    if (others.length === 0)
      push(ctx, { pointer: childPointer(ptr, idx), kind: "removed", live: live[idx] as Json, owners: [ctx.manager] });
  }
  for (const v of ownedSetValues(own)) {
    if (desired.some((d) => sameValue(d, v, path))) continue;
    const idx = live.findIndex((l) => sameScalar(l, v) || JSON.stringify(l) === JSON.stringify(v));
    if (idx < 0) continue;
    const token = `v:${JSON.stringify(v)}`;
    if (nodes.some((n) => otherOwner(ctx, n) && n.node !== undefined && token in n.node)) continue;
    push(ctx, { pointer: childPointer(ptr, idx), kind: "removed", live: live[idx] as Json, owners: [ctx.manager] });
  }
}

function walkMap(
  ctx: Ctx,
  desired: JsonObject,
  live: Json | undefined,
  nodes: readonly OwnerNode[],
  ptr: string,
  path: Path | undefined,
  keyFields?: readonly string[],
): void {
  if (!isObj(live)) {
    if (!isEmpty(desired))
      push(ctx, {
        pointer: ptr,
        kind: live === undefined || live === null ? "missing" : "changed",
        desired,
        ...(live !== undefined ? { live } : {}),
        owners: ownersHere(nodes, false),
      });
    return;
  }
  // Output is sorted once at the end; no per-level sort here.
  for (const key of Object.keys(desired)) {
    const p = childPointer(ptr, key);
    if (ctx.ignore.length > 0 && ignored(ctx, p)) continue;
    walk(ctx, desired[key] as Json, live[key], fieldChildren(nodes, key), p, at(path, key));
  }
  removedFromMap(ctx, desired, live, nodes, ptr, path, keyFields);
}

/** An associative list: items matched by their keys (a defaulted key field filled in), wherever they are. */
function walkKeyedList(
  ctx: Ctx,
  desired: readonly Json[],
  live: readonly Json[],
  nodes: readonly OwnerNode[],
  ptr: string,
  path: Path,
  keys: readonly string[],
): void {
  const item = at(path, "#");
  desired.forEach((d, i) => {
    const p = childPointer(ptr, i);
    const kv = keyOf(d, keys);
    const match = live.find((l) => matchesKey(l, kv));
    if (match === undefined) push(ctx, { pointer: p, kind: "missing", desired: d, owners: [] });
    else if (isObj(d)) walkMap(ctx, d, match, itemChildren(nodes, kv), p, item, keys);
    else walk(ctx, d, match, itemChildren(nodes, kv), p, item);
  });
  removedFromList(ctx, desired, live, nodes, ptr, path, keys);
}

function walkList(
  ctx: Ctx,
  desired: Json[],
  live: Json | undefined,
  nodes: readonly OwnerNode[],
  ptr: string,
  path: Path,
): void {
  if (!Array.isArray(live)) {
    if (desired.length > 0)
      push(ctx, {
        pointer: ptr,
        kind: live === undefined || live === null ? "missing" : "changed",
        desired,
        ...(live !== undefined ? { live } : {}),
        owners: ownersHere(nodes, true),
      });
    return;
  }
  const shape = listShape(nodes);
  if (shape.type === "map") return walkKeyedList(ctx, desired, live, nodes, ptr, path, shape.keys);
  if (shape.type === "set") {
    desired.forEach((d, i) => {
      if (!live.some((l) => sameValue(d, l, path) || JSON.stringify(l) === JSON.stringify(d))) {
        push(ctx, { pointer: childPointer(ptr, i), kind: "missing", desired: d, owners: [] });
      }
    });
    removedFromList(ctx, desired, live, nodes, ptr, path);
    return;
  }
  // No manager's managedFields say how this list merges (e.g. written without server-side apply):
  // the built-in associative lists are known by name.
  const known = knownListKeys(path.t, desired.length > 0 ? desired : live);
  if (known !== undefined) return walkKeyedList(ctx, desired, live, nodes, ptr, path, known);
  // Atomic: same length and every desired element contained in its live counterpart
  // (live elements may carry server defaults).
  const owners = ownersHere(nodes, true);
  if (desired.length !== live.length) {
    push(ctx, { pointer: ptr, kind: "changed", desired, live, owners });
    return;
  }
  const sub: Ctx = { ignore: ctx.ignore, ignoreManagers: new Set(), manager: ctx.manager, out: [] };
  const item = at(path, "#");
  desired.forEach((d, i) => walk(sub, d, live[i], [], childPointer(ptr, i), item));
  if (sub.out.length > 0) push(ctx, { pointer: ptr, kind: "changed", desired, live, owners });
}

function walk(
  ctx: Ctx,
  desired: Json,
  live: Json | undefined,
  nodes: readonly OwnerNode[],
  ptr: string,
  path: Path,
): void {
  if (desired === null) return;
  if (Array.isArray(desired)) return walkList(ctx, desired, live, nodes, ptr, path);
  if (isObj(desired)) return walkMap(ctx, desired, live, nodes, ptr, path);
  if (live === undefined || live === null) {
    push(ctx, { pointer: ptr, kind: "missing", desired, owners: [] });
    return;
  }
  if (!sameValue(desired, live, path))
    push(ctx, { pointer: ptr, kind: "changed", desired, live, owners: ownersHere(nodes, true) });
}

/**
 * Compares the desired body with the live object, visiting only what desired sets (so server
 * defaults and fields other managers add are not differences) plus the fields the manager still
 * owns in live but no longer desires (per owned key). List items are matched by key when
 * managedFields show an associative list, or when the list is a built-in associative one.
 */
export function compareFields(
  desired: JsonObject,
  live: JsonObject,
  owners: readonly OwnerNode[],
  ignore: readonly string[],
  manager: string,
  ignoreManagers: readonly string[] = [],
): FieldDiff[] {
  const ctx: Ctx = { ignore, ignoreManagers: new Set(ignoreManagers), manager, out: [] };
  walkMap(ctx, desired, live, owners, "", undefined);
  return ctx.out.sort((a, b) => (a.pointer < b.pointer ? -1 : a.pointer > b.pointer ? 1 : 0));
}
