import {
  fieldChildren,
  isObj,
  itemChildren,
  listShape,
  matchesKey,
  ownedItemKeys,
  ownersHere,
  sameScalar,
  type OwnerNode,
} from "./fields-v1.ts";
import { childPointer, underPointer } from "./pointer.ts";
import type { FieldDiff, Json, JsonObject } from "./types.ts";

interface Ctx {
  readonly ignore: readonly string[];
  readonly manager: string;
  readonly out: FieldDiff[];
}

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
  if (ctx.ignore.length === 0 || !ignored(ctx, d.pointer)) ctx.out.push(d);
}

function mine(ctx: Ctx, nodes: readonly OwnerNode[]): JsonObject | undefined {
  return nodes.find((n) => n.manager === ctx.manager)?.node;
}

/** Fields Bosun owns in live under a map node that desired no longer sets. */
function removedFromMap(
  ctx: Ctx,
  desired: JsonObject,
  live: JsonObject,
  nodes: readonly OwnerNode[],
  ptr: string,
): void {
  const own = mine(ctx, nodes);
  if (own === undefined) return;
  for (const key of Object.keys(own)) {
    if (!key.startsWith("f:")) continue;
    const name = key.slice(2);
    if (name in desired && !isEmpty(desired[name])) continue;
    const lv = live[name];
    if (lv === undefined) continue;
    const p = childPointer(ptr, name);
    // Still owned by another manager too: the field stays after Bosun lets go of it.
    if (ownersHere(fieldChildren(nodes, name), true).some((m) => m !== ctx.manager)) continue;
    push(ctx, { pointer: p, kind: "removed", live: lv, owners: [ctx.manager] });
  }
}

function walkMap(
  ctx: Ctx,
  desired: JsonObject,
  live: Json | undefined,
  nodes: readonly OwnerNode[],
  ptr: string,
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
    walk(ctx, desired[key] as Json, live[key], fieldChildren(nodes, key), p);
  }
  removedFromMap(ctx, desired, live, nodes, ptr);
}

function walkList(ctx: Ctx, desired: Json[], live: Json | undefined, nodes: readonly OwnerNode[], ptr: string): void {
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
  if (shape.type === "map") {
    desired.forEach((item, i) => {
      const p = childPointer(ptr, i);
      const keyValues: Record<string, Json | undefined> = {};
      for (const k of shape.keys) keyValues[k] = isObj(item) ? item[k] : undefined;
      const match = live.find((l) => matchesKey(l, keyValues));
      if (match === undefined) push(ctx, { pointer: p, kind: "missing", desired: item, owners: [] });
      else walk(ctx, item, match, itemChildren(nodes, keyValues), p);
    });
    const own = mine(ctx, nodes);
    for (const kv of ownedItemKeys(own)) {
      if (desired.some((d) => matchesKey(d, kv))) continue;
      const idx = live.findIndex((l) => matchesKey(l, kv));
      if (idx < 0) continue;
      const others = ownersHere(itemChildren(nodes, kv), false).filter((m) => m !== ctx.manager);
      if (others.length === 0)
        push(ctx, { pointer: childPointer(ptr, idx), kind: "removed", live: live[idx] as Json, owners: [ctx.manager] });
    }
    return;
  }
  if (shape.type === "set") {
    desired.forEach((item, i) => {
      if (!live.some((l) => sameScalar(l, item) || JSON.stringify(l) === JSON.stringify(item))) {
        push(ctx, { pointer: childPointer(ptr, i), kind: "missing", desired: item, owners: [] });
      }
    });
    return;
  }
  // Atomic: same length and every desired element contained in its live counterpart
  // (live elements may carry server defaults).
  const owners = ownersHere(nodes, true);
  if (desired.length !== live.length) {
    push(ctx, { pointer: ptr, kind: "changed", desired, live, owners });
    return;
  }
  const sub: Ctx = { ignore: ctx.ignore, manager: ctx.manager, out: [] };
  desired.forEach((item, i) => walk(sub, item, live[i], [], childPointer(ptr, i)));
  if (sub.out.length > 0) push(ctx, { pointer: ptr, kind: "changed", desired, live, owners });
}

function walk(ctx: Ctx, desired: Json, live: Json | undefined, nodes: readonly OwnerNode[], ptr: string): void {
  if (desired === null) return;
  if (Array.isArray(desired)) return walkList(ctx, desired, live, nodes, ptr);
  if (isObj(desired)) return walkMap(ctx, desired, live, nodes, ptr);
  if (live === undefined || live === null) {
    push(ctx, { pointer: ptr, kind: "missing", desired, owners: [] });
    return;
  }
  if (!sameScalar(desired, live))
    push(ctx, { pointer: ptr, kind: "changed", desired, live, owners: ownersHere(nodes, true) });
}

/**
 * Compares the desired body with the live object, visiting only what desired sets (so server
 * defaults and fields other managers add are not differences) plus the fields the manager still
 * owns in live but no longer desires. List items are matched by key when managedFields show an
 * associative list.
 */
export function compareFields(
  desired: JsonObject,
  live: JsonObject,
  owners: readonly OwnerNode[],
  ignore: readonly string[],
  manager: string,
): FieldDiff[] {
  const ctx: Ctx = { ignore, manager, out: [] };
  walkMap(ctx, desired, live, owners, "");
  return ctx.out.sort((a, b) => (a.pointer < b.pointer ? -1 : a.pointer > b.pointer ? 1 : 0));
}
