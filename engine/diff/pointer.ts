/** RFC 6901 escaping of one reference token. */
export function escapeToken(t: string): string {
  if (!t.includes("~") && !t.includes("/")) return t;
  return t.replace(/~/g, "~0").replace(/\//g, "~1");
}

export function childPointer(parent: string, token: string | number): string {
  return `${parent}/${typeof token === "number" ? String(token) : escapeToken(token)}`;
}

/** True when `pointer` equals `prefix` or lies below it. */
export function underPointer(pointer: string, prefix: string): boolean {
  return pointer === prefix || pointer.startsWith(`${prefix}/`);
}

function unescapeToken(t: string): string {
  return t.replace(/~1/g, "/").replace(/~0/g, "~");
}

/** A deep copy of `obj` without the values at `pointers` (absent paths are ignored). */
export function removePointers<T>(obj: T, pointers: readonly string[]): T {
  const copy = structuredClone(obj);
  for (const p of pointers) {
    if (p === "") continue;
    const tokens = p.split("/").slice(1).map(unescapeToken);
    let cur: unknown = copy;
    for (let i = 0; i < tokens.length - 1 && cur !== undefined && cur !== null; i++) {
      cur = (cur as Record<string, unknown>)[tokens[i] as string];
    }
    const last = tokens[tokens.length - 1] as string;
    if (Array.isArray(cur)) {
      const idx = Number(last);
      if (Number.isInteger(idx) && idx >= 0 && idx < cur.length) cur.splice(idx, 1);
    } else if (typeof cur === "object" && cur !== null) {
      delete (cur as Record<string, unknown>)[last];
    }
  }
  return copy;
}
