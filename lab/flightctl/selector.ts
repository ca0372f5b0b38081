/** Label selectors as Flightctl reads them: the object form, and the query form `a=b,c!=d,e in (x,y),f,!g`. */
import type { LabelSelector } from "../../clients/flightctl/index.ts";

export type Requirement =
  | { key: string; op: "=" | "!="; value: string }
  | { key: string; op: "in" | "notin"; values: string[] }
  | { key: string; op: "exists" | "!exists" };

export class SelectorSyntaxError extends Error {}

/** Parses the query form; throws SelectorSyntaxError naming the bad part. */
export function parseSelectorQuery(query: string): Requirement[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of query) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else current += ch;
  }
  if (current.trim() !== "") parts.push(current);
  return parts.map((raw) => {
    const p = raw.trim();
    let m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(p);
    if (m)
      return {
        key: m[1]!,
        op: m[2] as "in" | "notin",
        values: m[3]!
          .split(",")
          .map((v) => v.trim())
          .filter(Boolean),
      };
    m = /^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/.exec(p);
    if (m) return { key: m[1]!, op: m[2] === "!=" ? "!=" : "=", value: m[3]! };
    m = /^(!?)([\w./-]+)$/.exec(p);
    if (m) return { key: m[2]!, op: m[1] ? "!exists" : "exists" };
    throw new SelectorSyntaxError(`cannot parse label selector requirement "${p}"`);
  });
}

export function requirementsOf(selector: LabelSelector): Requirement[] {
  const out: Requirement[] = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => ({
    key,
    op: "=",
    value,
  }));
  for (const e of selector.matchExpressions ?? []) {
    if (e.operator === "In") out.push({ key: e.key, op: "in", values: e.values ?? [] });
    else if (e.operator === "NotIn") out.push({ key: e.key, op: "notin", values: e.values ?? [] });
    else if (e.operator === "Exists") out.push({ key: e.key, op: "exists" });
    else out.push({ key: e.key, op: "!exists" });
  }
  return out;
}

export function matches(requirements: readonly Requirement[], labels: Readonly<Record<string, string>>): boolean {
  return requirements.every((r) => {
    const v = labels[r.key];
    switch (r.op) {
      case "=":
        return v === r.value;
      case "!=":
        return v !== r.value;
      case "in":
        return v !== undefined && r.values.includes(v);
      case "notin":
        return v === undefined || !r.values.includes(v);
      case "exists":
        return v !== undefined;
      case "!exists":
        return v === undefined;
    }
  });
}

/** A fleet's selector: empty or absent selects nothing (the spec says so). */
export function selects(selector: LabelSelector | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (!selector) return false;
  const reqs = requirementsOf(selector);
  return reqs.length > 0 && matches(reqs, labels);
}
