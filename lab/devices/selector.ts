/**
 * Label selectors in the Kubernetes string form (pure): `k=v`, `k==v`, `k!=v`, `k`, `!k`,
 * `k in (a,b)`, `k notin (a,b)`, comma-separated, all terms must hold.
 */
import { SimulatorError } from "./errors.ts";

type Term =
  | { op: "eq" | "ne"; key: string; value: string }
  | { op: "in" | "notin"; key: string; values: readonly string[] }
  | { op: "exists" | "absent"; key: string };

export type LabelSelector = readonly Term[];

/** Splits on commas outside parentheses. */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of s) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out.map((t) => t.trim()).filter((t) => t !== "");
}

const KEY = /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/;

function key(k: string, whole: string): string {
  const t = k.trim();
  if (!KEY.test(t))
    throw new SimulatorError(
      "InvalidSelector",
      `label selector ${JSON.stringify(whole)}: invalid key ${JSON.stringify(t)}`,
    );
  return t;
}

export function parseSelector(s: string): LabelSelector {
  return splitTerms(s).map((t): Term => {
    const set = /^(.+?)\s+(in|notin)\s*\((.*)\)$/.exec(t);
    if (set) {
      const values = (set[3] ?? "")
        .split(",")
        .map((v) => v.trim())
        .filter((v) => v !== "");
      return { op: set[2] === "in" ? "in" : "notin", key: key(set[1] ?? "", s), values };
    }
    const ne = /^(.+?)!=(.*)$/.exec(t);
    if (ne) return { op: "ne", key: key(ne[1] ?? "", s), value: (ne[2] ?? "").trim() };
    const eq = /^(.+?)==?(.*)$/.exec(t);
    if (eq) return { op: "eq", key: key(eq[1] ?? "", s), value: (eq[2] ?? "").trim() };
    if (t.startsWith("!")) return { op: "absent", key: key(t.slice(1), s) };
    return { op: "exists", key: key(t, s) };
  });
}

export function matchesSelector(sel: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  return sel.every((t) => {
    const v = labels[t.key];
    switch (t.op) {
      case "eq":
        return v === t.value;
      case "ne":
        return v !== t.value;
      case "in":
        return v !== undefined && t.values.includes(v);
      case "notin":
        return v === undefined || !t.values.includes(v);
      case "exists":
        return v !== undefined;
      case "absent":
        return v === undefined;
    }
  });
}
