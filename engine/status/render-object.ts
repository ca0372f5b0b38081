/** ObjectStatus / CommitStatus → YAML text, deterministic key order, size-capped. Pure. */
import { stringify } from "yaml";
import { capText } from "./truncate.ts";
import type { CommitStatus, ObjectStatus } from "./types.ts";

const YAML_OPTIONS = { lineWidth: 0, sortMapEntries: false, indent: 2 } as const;

function sortedRecord(r: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Drops undefined fields so the YAML never shows `null` for something absent. */
function compact(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** A value as one short line: scalars as they are, the rest as JSON, cut at 200 characters. */
function shortValue(v: unknown): string | number | boolean | null {
  if (v === null || typeof v === "number" || typeof v === "boolean") return v;
  const text = typeof v === "string" ? v : JSON.stringify(v);
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

/** Drift per field, live against desired; a Secret's values are never written (only which keys drifted). */
function driftFields(s: ObjectStatus): Record<string, unknown>[] | undefined {
  if (!s.drift?.length) return undefined;
  const secret = s.kind === "Secret";
  return s.drift.map((f) =>
    compact({
      pointer: f.pointer,
      live: secret ? "(redacted)" : f.live === undefined ? undefined : shortValue(f.live),
      desired: secret ? "(redacted)" : f.desired === undefined ? undefined : shortValue(f.desired),
    }),
  );
}

export function renderObjectStatus(s: ObjectStatus, maxBytes: number): string {
  const doc = compact({
    apiVersion: "bosun.dev/v1alpha1",
    kind: "ObjectStatus",
    object: compact({
      kind: s.kind,
      namespace: s.namespace === "" ? undefined : s.namespace,
      name: s.name,
      source: s.source,
    }),
    observedCommit: s.observedCommit,
    planDigest: s.planDigest,
    phase: s.phase,
    wave: s.wave ? { current: s.wave.current, total: s.wave.total } : undefined,
    counts: s.counts ? sortedRecord(s.counts) : undefined,
    conditions: s.conditions?.length
      ? [...s.conditions]
          .sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0))
          .map((c) => compact({ type: c.type, status: c.status, reason: c.reason, message: c.message }))
      : undefined,
    waves: s.waves?.length
      ? s.waves.map((w) => ({
          name: w.name,
          state: w.state,
          approval: w.approval,
          total: w.total,
          updated: w.updated,
          ready: w.ready,
          failed: w.failed,
          unreachable: w.unreachable,
        }))
      : undefined,
    failingDevices: s.failingDevices?.length ? [...s.failingDevices] : undefined,
    failingDevicesOmitted: s.failingDevicesOmitted,
    drift: driftFields(s),
    lastError: s.lastError,
  });
  return capText(stringify(doc, YAML_OPTIONS), maxBytes);
}

/** `_commit.yaml`: the tracked ref, the commit in force, and (when invalid) every diagnostic grouped by file. */
export function renderCommitStatus(s: CommitStatus, maxBytes: number): string {
  const byFile = new Map<string, string[]>();
  for (const d of s.diagnostics ?? []) {
    const file = /^(.*?):\d+:\d+: /.exec(d)?.[1] ?? "";
    const list = byFile.get(file) ?? [];
    list.push(d);
    byFile.set(file, list);
  }
  const errors = [...byFile.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([file, list]) => ({ file, diagnostics: [...list].sort() }));
  const doc = compact({
    apiVersion: "bosun.dev/v1alpha1",
    kind: "CommitStatus",
    repo: s.repo,
    ref: s.ref,
    phase: s.phase,
    observedCommit: s.observedCommit,
    appliedCommit: s.appliedCommit,
    objectCount: s.objectCount,
    signature: s.signature
      ? compact({ verified: s.signature.verified, keyId: s.signature.keyId, reason: s.signature.reason })
      : undefined,
    lastError: s.lastError,
    errors: errors.length ? errors : undefined,
  });
  return capText(stringify(doc, YAML_OPTIONS), maxBytes);
}
