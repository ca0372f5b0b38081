/**
 * Reconciles Bosun's comments on a PR with the parts a plan renders to: part i edits the comment
 * that carries part i (found by marker and Bosun's own login, over every comment page), missing
 * parts are created, parts the plan no longer needs (and duplicates left by a race) are deleted.
 * Other people's comments, and Bosun's comments of another scope, are never touched. Pure.
 */
import { parseMarker } from "./marker.ts";
import type { ForgeComment } from "./types.ts";

export type CommentOp =
  | { readonly op: "update"; readonly id: number; readonly part: number; readonly body: string }
  | { readonly op: "create"; readonly part: number; readonly body: string }
  | { readonly op: "delete"; readonly id: number; readonly part: number };

/** Bosun's comments of `scope` by part number (lowest id first when a race left two). */
export function ownComments(
  comments: readonly ForgeComment[],
  login: string,
  scope: string,
): Map<number, ForgeComment[]> {
  const out = new Map<number, ForgeComment[]>();
  for (const c of comments) {
    if (c.user.toLowerCase() !== login.toLowerCase()) continue;
    const marker = parseMarker(c.body);
    if (!marker || marker.scope !== scope) continue;
    const list = out.get(marker.part) ?? [];
    list.push(c);
    out.set(marker.part, list);
  }
  for (const list of out.values()) list.sort((a, b) => a.id - b.id);
  return out;
}

/** The edits that turn the existing comments into `parts` (updates and creates in part order, then deletes). */
export function syncComments(
  comments: readonly ForgeComment[],
  login: string,
  scope: string,
  parts: readonly string[],
): CommentOp[] {
  const own = ownComments(comments, login, scope);
  const ops: CommentOp[] = [];
  const deletes: CommentOp[] = [];
  parts.forEach((body, i) => {
    const part = i + 1;
    const [first, ...extra] = own.get(part) ?? [];
    if (!first) ops.push({ op: "create", part, body });
    else if (first.body !== body) ops.push({ op: "update", id: first.id, part, body });
    for (const c of extra) deletes.push({ op: "delete", id: c.id, part });
  });
  for (const [part, list] of own)
    if (part > parts.length) for (const c of list) deletes.push({ op: "delete", id: c.id, part });
  return [...ops, ...deletes.sort((a, b) => (a.op === "delete" && b.op === "delete" ? a.id - b.id : 0))];
}
