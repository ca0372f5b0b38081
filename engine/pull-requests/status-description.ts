/** The commit status of a plan: context, state and a description within GitHub's 140 characters. Pure. */
import type { Diagnostic } from "../model/diagnostic.ts";
import type { Plan } from "../plan/plan.ts";

/** GitHub rejects a longer description with 422. */
export const MAX_DESCRIPTION = 140;

/** `bosun/plan`, plus `/<scope>` unless the scope is the default. */
export function statusContext(scope: string): string {
  return scope === "default" ? "bosun/plan" : `bosun/plan/${scope}`;
}

/** Counts of a plan: objects per action, devices to update, waves waiting for approval. */
export function planCounts(plan: Plan): string {
  const by = new Map<string, number>();
  for (const c of plan.changes) if (c.action !== "noop") by.set(c.action, (by.get(c.action) ?? 0) + 1);
  const parts = ["create", "update", "drift", "delete"].filter((a) => by.has(a)).map((a) => `${by.get(a)} to ${a}`);
  const units = new Map<string, number>();
  let waiting = 0;
  for (const r of plan.rollouts) {
    units.set(r.unit, (units.get(r.unit) ?? 0) + r.waves.reduce((n, w) => n + w.toUpdate, 0));
    waiting += r.waves.filter((w) => w.approval === "required" && !w.approved && w.toUpdate > 0).length;
  }
  for (const [unit, n] of units) if (n > 0) parts.push(`${n} ${n === 1 ? unit : `${unit}s`} to update`);
  if (waiting > 0) parts.push(`${waiting} wave${waiting === 1 ? "" : "s"} need approval`);
  return parts.length === 0 ? "no changes" : parts.join(", ");
}

function fit(text: string, tail: string): string {
  const room = MAX_DESCRIPTION - tail.length;
  return `${text.length > room ? `${text.slice(0, room - 1)}…` : text}${tail}`;
}

export function planDescription(plan: Plan): string {
  return fit(planCounts(plan), ` · plan ${plan.digest.slice(0, 12)}`);
}

export function invalidDescription(diagnostics: readonly Diagnostic[]): string {
  const first = diagnostics[0];
  // A deep path keeps its end (the file name and line), cut from the front.
  const at = first ? `${first.file}:${first.line}` : "";
  const where = first ? ` (first ${at.length > 90 ? `…${at.slice(-89)}` : at})` : "";
  return fit(`invalid fleet: ${diagnostics.length} problem${diagnostics.length === 1 ? "" : "s"}`, where);
}

export const PENDING_DESCRIPTION = "planning against live state…";
