import { isMap, isSeq, isScalar, type Node } from "yaml";
import type { ParsedDocument } from "./parse-yaml.ts";

/** Splits a JSON pointer (`/spec/waves/0/name`) into unescaped segments. */
export function pointerSegments(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** `spec.waves[0].name`: how a pointer reads in a message. */
export function dottedPath(pointer: string): string {
  let out = "";
  for (const seg of pointerSegments(pointer)) {
    out += /^\d+$/.test(seg) ? `[${seg}]` : out === "" ? seg : `.${seg}`;
  }
  return out;
}

/**
 * Line and column of the node a JSON pointer names: the key of the last segment (where an
 * editor should jump), or its value when `key` is false. Falls back to the deepest node that exists.
 */
export function locate(parsed: ParsedDocument, pointer: string, key = true): { line: number; col: number } {
  let node: Node | null = parsed.doc.contents as Node | null;
  let best = node?.range?.[0] ?? 0;
  const segments = pointerSegments(pointer);
  for (let i = 0; i < segments.length && node; i++) {
    const seg = segments[i] ?? "";
    const last = i === segments.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === seg);
      if (!pair) break;
      const keyNode = pair.key as Node;
      if (last && key) {
        best = keyNode.range?.[0] ?? best;
        break;
      }
      node = (pair.value as Node | null) ?? null;
      best = node?.range?.[0] ?? keyNode.range?.[0] ?? best;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)] as Node | undefined;
      if (!item) break;
      node = item;
      best = item.range?.[0] ?? best;
    } else {
      break;
    }
  }
  return parsed.lineCounter.linePos(best);
}
