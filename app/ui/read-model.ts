/**
 * The dashboard's read model: what `/ui` and `/api` show, fed by the engine's pass hooks (object
 * statuses after each apply, the PassReport, the pass outcome) and, for devices, by the live
 * cache. Bounded: one entry per fleet object and rollout, a ring of passes, a ring of drift
 * events; device rows are derived from the live cache on demand (at most once per `deviceRowsTtlMs`,
 * rows up to 10 s old served while they are rebuilt) and only pages of them leave the server.
 */
import type {
  Change,
  DesiredState,
  KindRegistry,
  ObjectStatus,
  PassOutcome,
  PassReport,
  RolloutReport,
} from "../../engine/index.ts";
import { redactFields, secretValuesOf, SecretScrubber } from "./redact.ts";
import type { StatusLocation } from "./status-file.ts";
import {
  type UiLiveSource,
  type FleetRow,
  type FleetQuery,
  type FleetPage,
  type RolloutView,
  type DriftView,
  type PassView,
  type ObjectView,
  type EngineView,
  type Summary,
} from "./views.ts";

export type {
  UiDevice,
  UiProcess,
  UiLiveSource,
  FleetRow,
  FleetQuery,
  FleetPage,
  WaveView,
  RolloutView,
  DriftView,
  PassView,
  ObjectView,
  EngineView,
  Summary,
} from "./views.ts";

export interface ReadModelOptions {
  readonly kinds: Pick<KindRegistry, "placeOf">;
  readonly live?: UiLiveSource;
  readonly staleAfterMs?: number;
  readonly maxPasses?: number;
  readonly maxChangesPerObject?: number;
  readonly deviceRowsTtlMs?: number;
  /** Drift entries kept at most (default 10,000; the oldest go first). */
  readonly maxDrift?: number;
  readonly now?: () => number;
}

const MAX_LIMIT = 500;
/** Device rows this young are served while they are rebuilt after the answer. */
const STALE_ROWS_MS = 10_000;

function keyOf(o: { kind: string; namespace: string; name: string }): string {
  return `${o.kind}/${o.namespace}/${o.name}`;
}

function compareRows(a: FleetRow, b: FleetRow): number {
  return a.kind < b.kind
    ? -1
    : a.kind > b.kind
      ? 1
      : a.namespace < b.namespace
        ? -1
        : a.namespace > b.namespace
          ? 1
          : a.name < b.name
            ? -1
            : a.name > b.name
              ? 1
              : 0;
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** `maxUnavailable` of a RollingUpdate (count, or percent of desired rounded up, at least 1). */
function maxUnavailableOf(body: Readonly<Record<string, unknown>>, desired: number): number | undefined {
  const spec = (body["spec"] ?? {}) as {
    updateStrategy?: { type?: string; rollingUpdate?: { maxUnavailable?: unknown } };
  };
  const strategy = spec.updateStrategy;
  if (strategy?.type === "Recreate") return undefined;
  const raw = strategy?.rollingUpdate?.maxUnavailable ?? 1;
  if (typeof raw === "number") return Math.max(1, raw);
  const m = /^(\d+)%$/.exec(String(raw));
  if (m) return Math.max(1, Math.ceil((Number(m[1]) * desired) / 100));
  return undefined;
}

function shellQuote(v: string): string {
  return /^[A-Za-z0-9._\-/=:]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}

export class UiReadModel {
  private readonly now: () => number;
  private readonly startedAt: number;
  private readonly staleAfterMs: number;
  private readonly maxPasses: number;
  private readonly maxChanges: number;
  private readonly ttl: number;
  private readonly maxDrift: number;
  private objects = new Map<string, { apiVersion: string; backend: string; status: ObjectStatus }>();
  private readonly objectChanges = new Map<string, { at: number; action: string; reason: string }[]>();
  private readonly rollouts = new Map<string, RolloutView>();
  private readonly drift = new Map<string, DriftView>();
  private readonly passes: PassView[] = [];
  private passSeq = 0;
  private pending: { changes: number; written: number; planDigests: Set<string> } | undefined;
  private lastPassAt: number | undefined;
  private lastOutcome: string | undefined;
  private appliedCommit: string | undefined;
  private objectRows: FleetRow[] | undefined;
  private deviceRows: { rows: FleetRow[]; at: number; version: number } | undefined;
  private rebuildScheduled = false;
  private merged: { rows: readonly FleetRow[]; objects: readonly FleetRow[]; devices: readonly FleetRow[] } | undefined;
  /** Values of the fleet's Secrets (and the engine's own credentials): never in a response. */
  readonly secrets = new SecretScrubber();
  /** Where the fleet's status documents go (bosun.yaml), once a commit was applied. */
  status: StatusLocation | undefined;
  /** Increases with every change of what the API shows: the SSE stream sends it. */
  seq = 0;
  private readonly listeners = new Set<(seq: number) => void>();

  constructor(private readonly options: ReadModelOptions) {
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.staleAfterMs = options.staleAfterMs ?? 180_000;
    this.maxPasses = options.maxPasses ?? 500;
    this.maxChanges = options.maxChangesPerObject ?? 20;
    this.ttl = options.deviceRowsTtlMs ?? 1000;
    this.maxDrift = options.maxDrift ?? 10_000;
  }

  /** Called with `seq` after every change (the SSE stream coalesces). */
  subscribe(listener: (seq: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    this.seq++;
    for (const l of this.listeners) l(this.seq);
  }

  private backendOf(apiVersion: string, kind: string): string {
    const place = this.options.kinds.placeOf(apiVersion, kind);
    if (!place) return "none";
    return "backend" in place ? place.backend : place.role;
  }

  /** After each apply of a valid commit: every fleet object's status. */
  applied(desired: DesiredState, statuses: readonly ObjectStatus[]): void {
    const apiVersions = new Map<string, string>();
    for (const o of desired.objects) apiVersions.set(keyOf(o), o.apiVersion);
    this.secrets.replace(secretValuesOf(desired.objects));
    const status = (desired.config as { status?: StatusLocation } | undefined)?.status;
    if (status) this.status = { mode: status.mode, branch: status.branch, folder: status.folder };
    const next = new Map<string, { apiVersion: string; backend: string; status: ObjectStatus }>();
    for (const s of statuses) {
      const key = keyOf(s);
      const apiVersion = apiVersions.get(key) ?? "";
      const status = s.drift ? { ...s, drift: redactFields(s.kind, s.drift) } : s;
      next.set(key, { apiVersion, backend: this.backendOf(apiVersion, s.kind), status });
    }
    this.objects = next;
    for (const key of this.objectChanges.keys()) if (!next.has(key)) this.objectChanges.delete(key);
    for (const key of this.rollouts.keys()) if (!next.has(key)) this.rollouts.delete(key);
    this.objectRows = undefined;
    this.merged = undefined;
    const planDigests = new Set(statuses.map((s) => s.planDigest).filter((d): d is string => d !== undefined));
    if (this.pending) for (const d of planDigests) this.pending.planDigests.add(d);
    else this.pending = { changes: 0, written: 0, planDigests };
    this.changed();
  }

  /** After each reconcile: changes (drift) and rollouts. */
  report(report: PassReport): void {
    const at = this.now();
    let written = 0;
    for (const change of report.changes) {
      if (change.action !== "unchanged") written++;
      this.observeChange(change, report.commit, at);
    }
    for (const r of report.rollouts) this.rollouts.set(keyOf(r.object), this.rolloutView(r, at));
    this.pending = { changes: report.changes.length, written, planDigests: this.pending?.planDigests ?? new Set() };
    this.changed();
  }

  private observeChange(change: Change, commit: string, at: number): void {
    const key = keyOf(change.ref);
    if (change.action !== "unchanged" || change.reason.startsWith("drift")) {
      let list = this.objectChanges.get(key);
      if (!list) {
        // Only fleet objects keep a change list; generated targets (100,000 processes) would not be bounded.
        if (!this.objects.has(key)) list = undefined;
        else this.objectChanges.set(key, (list = []));
      }
      if (list) {
        list.unshift({ at, action: change.action, reason: change.reason });
        if (list.length > this.maxChanges) list.length = this.maxChanges;
      }
    }
    if (change.reason.startsWith("drift")) {
      // Bounded: past maxDrift entries the oldest one goes (a mass edit of generated targets).
      if (!this.drift.has(key) && this.drift.size >= this.maxDrift) {
        const oldest = this.drift.keys().next().value;
        if (oldest !== undefined) this.drift.delete(oldest);
      }
      this.drift.delete(key);
      this.drift.set(key, {
        kind: change.ref.kind,
        namespace: change.ref.namespace,
        name: change.ref.name,
        apiVersion: change.ref.apiVersion,
        mode: change.reason.startsWith("drift corrected") ? "corrected" : "detect-only",
        fields: redactFields(change.ref.kind, change.fields ?? []),
        reason: change.reason,
        commit,
        seenAt: at,
      });
    } else if (this.drift.has(key) && change.error === undefined) {
      // The object was seen again without drift: corrected (or set back by hand).
      this.drift.delete(key);
    }
  }

  private rolloutView(r: RolloutReport, at: number): RolloutView {
    const s = r.status;
    const counts = s.counts ?? {};
    const waves = (s.waves ?? []).map((w) => ({ ...w }));
    const waitingWave = waves.find((w) => w.state === "waiting-approval");
    const desired = counts["desired"] ?? 0;
    const max = maxUnavailableOf(r.object.body, desired);
    const ns = r.object.namespace;
    // Targets on the new revision that are not ready yet: what the strategy's budget is spent on now.
    const inFlight = waves.reduce((n, w) => n + Math.max(0, w.updated - w.ready), 0);
    const approval = waitingWave
      ? {
          wave: waitingWave.name,
          command:
            `bosun approve ${r.object.kind}/${shellQuote(r.object.name)} --wave ${shellQuote(waitingWave.name)}` +
            `${ns ? ` --namespace ${shellQuote(ns)}` : ""} --commit`,
        }
      : undefined;
    return {
      kind: r.object.kind,
      namespace: ns,
      name: r.object.name,
      phase: s.phase,
      summary: r.summary,
      ...(r.waiting !== undefined ? { waiting: r.waiting } : {}),
      waves,
      counts,
      ...(max !== undefined ? { budget: { inFlight, maxUnavailable: max } } : {}),
      ...(approval ? { approval } : {}),
      failingDevices: s.failingDevices ?? [],
      ...(s.failingDevicesOmitted !== undefined ? { failingDevicesOmitted: s.failingDevicesOmitted } : {}),
      refusedApprovals: r.refusedApprovals ?? [],
      updatedAt: at,
    };
  }

  /** After each loop pass (applied, invalid, unverified, fetch failed). */
  pass(outcome: PassOutcome): void {
    const at = this.now();
    this.lastPassAt = at;
    this.lastOutcome = outcome.kind;
    const pending = outcome.kind === "applied" ? this.pending : undefined;
    this.pending = undefined;
    if (outcome.kind === "applied") this.appliedCommit = outcome.commit;
    const detail =
      outcome.kind === "invalid"
        ? outcome.diagnostics.slice(0, 5).join("\n")
        : outcome.kind === "unverified"
          ? outcome.reason
          : outcome.kind === "fetch-failed"
            ? `${outcome.error.kind}: ${outcome.error.message}`
            : undefined;
    const view: PassView = {
      seq: ++this.passSeq,
      at,
      outcome: outcome.kind,
      ...("commit" in outcome ? { commit: outcome.commit } : {}),
      ...(outcome.statusCommit !== undefined ? { statusCommit: outcome.statusCommit } : {}),
      ...(outcome.kind === "applied" ? { objects: outcome.objects } : {}),
      ...(pending ? { changes: pending.changes, written: pending.written } : {}),
      planDigests: pending ? [...pending.planDigests].sort() : [],
      ...(detail !== undefined ? { detail } : {}),
    };
    this.passes.unshift(view);
    if (this.passes.length > this.maxPasses) this.passes.length = this.maxPasses;
    this.changed();
  }

  engine(): EngineView {
    const since = this.lastPassAt ?? this.startedAt;
    return {
      startedAt: this.startedAt,
      ...(this.lastPassAt !== undefined ? { lastPassAt: this.lastPassAt } : {}),
      ...(this.lastOutcome !== undefined ? { lastPassOutcome: this.lastOutcome } : {}),
      ...(this.appliedCommit !== undefined ? { appliedCommit: this.appliedCommit } : {}),
      stale: this.now() - since > this.staleAfterMs,
      staleAfterMs: this.staleAfterMs,
    };
  }

  private rowsOfObjects(): FleetRow[] {
    if (!this.objectRows) {
      const rows: FleetRow[] = [];
      for (const { backend, status } of this.objects.values()) {
        const message = status.lastError ?? status.conditions?.find((c) => c.status !== "True")?.message;
        rows.push({
          backend,
          kind: status.kind,
          namespace: status.namespace,
          name: status.name,
          phase: status.phase,
          ...(status.source !== undefined ? { source: status.source } : {}),
          ...(message !== undefined ? { message } : {}),
        });
      }
      this.objectRows = rows.sort(compareRows);
    }
    return this.objectRows;
  }

  /**
   * Devices from the live cache, each with the state of its processes: Ready, NotReady, Pending or Idle.
   * Rebuilt at most once per `deviceRowsTtlMs`; rows younger than `staleRowsMs` are served while the
   * rebuild runs after the answer (so a request at 100,000 devices does not wait for it).
   */
  private rowsOfDevices(): FleetRow[] {
    if (!this.options.live) return [];
    const cached = this.deviceRows;
    const age = cached ? this.now() - cached.at : Infinity;
    if (cached && age < this.ttl) return cached.rows;
    if (cached && age < STALE_ROWS_MS) {
      if (!this.rebuildScheduled) {
        this.rebuildScheduled = true;
        setImmediate(() => {
          this.rebuildScheduled = false;
          this.rebuildDeviceRows();
        });
      }
      return cached.rows;
    }
    return this.rebuildDeviceRows();
  }

  private rebuildDeviceRows(): FleetRow[] {
    const live = this.options.live;
    if (!live) return [];
    const devices = live.devices();
    const state = new Map<string, string>();
    for (const ns of live.namespaces()) {
      for (const { process } of live.processesIn(ns)) {
        const s = !process.observed
          ? "Pending"
          : process.phase === "Running" && process.healthy === true
            ? "Ready"
            : "NotReady";
        // The worst state of a device's processes wins: NotReady, then Pending, then Ready.
        const before = state.get(process.device);
        if (before === undefined || before === "Ready" || (before === "Pending" && s === "NotReady"))
          state.set(process.device, s);
      }
    }
    // In the live cache's order (by device kind, then name): no sort of 100,000 rows here.
    const rows: FleetRow[] = devices.value.map((d) => ({
      backend: "inventory",
      kind: d.kind,
      namespace: "",
      name: d.name,
      phase: state.get(d.name) ?? "Idle",
    }));
    this.deviceRows = { rows, at: this.now(), version: devices.version };
    this.merged = undefined;
    return rows;
  }

  private allRows(): readonly FleetRow[] {
    const objects = this.rowsOfObjects();
    const devices = this.rowsOfDevices();
    if (!this.merged || this.merged.objects !== objects || this.merged.devices !== devices)
      this.merged = { rows: objects.concat(devices), objects, devices };
    return this.merged.rows;
  }

  /** One page of the fleet view, filtered on the server; facets count every row. */
  fleet(query: FleetQuery = {}): FleetPage {
    const rows = this.allRows();
    const limit = Math.min(Math.max(query.limit ?? 100, 0), MAX_LIMIT);
    const offset = Math.max(query.offset ?? 0, 0);
    const q = query.q?.toLowerCase();
    const facets = { backend: {} as Record<string, number>, kind: {}, phase: {} } as {
      backend: Record<string, number>;
      kind: Record<string, number>;
      phase: Record<string, number>;
    };
    const items: FleetRow[] = [];
    let total = 0;
    for (const r of rows) {
      bump(facets.backend, r.backend);
      bump(facets.kind, r.kind);
      bump(facets.phase, r.phase);
      if (query.backend && r.backend !== query.backend) continue;
      if (query.kind && r.kind !== query.kind) continue;
      if (query.phase && r.phase !== query.phase) continue;
      if (q && !r.name.toLowerCase().includes(q) && !r.namespace.toLowerCase().includes(q)) continue;
      if (total >= offset && items.length < limit) items.push(r);
      total++;
    }
    return { total, offset, limit, items, facets };
  }

  summary(): Summary {
    const phases: Record<string, number> = {};
    for (const { status } of this.objects.values()) bump(phases, status.phase);
    const byPhase: Record<string, number> = {};
    for (const r of this.rollouts.values()) bump(byPhase, r.phase);
    return {
      engine: this.engine(),
      objects: this.objects.size,
      devices: this.options.live?.devices().value.length ?? 0,
      rollouts: { total: this.rollouts.size, byPhase },
      drifted: this.drift.size,
      phases,
      seq: this.seq,
    };
  }

  rolloutList(): RolloutView[] {
    return [...this.rollouts.values()].sort((a, b) => compareRows(a as unknown as FleetRow, b as unknown as FleetRow));
  }

  /** Drifted objects, newest first, a page at a time. */
  driftList(offset = 0, limit = MAX_LIMIT): { total: number; items: DriftView[] } {
    // The map keeps insertion order and a re-seen object moves to the end: reversed, newest first.
    const all = [...this.drift.values()].reverse();
    const from = Math.max(offset, 0);
    return { total: all.length, items: all.slice(from, from + Math.min(Math.max(limit, 0), MAX_LIMIT)) };
  }

  history(offset = 0, limit = 100): { total: number; items: PassView[] } {
    const l = Math.min(Math.max(limit, 0), MAX_LIMIT);
    return { total: this.passes.length, items: this.passes.slice(Math.max(offset, 0), Math.max(offset, 0) + l) };
  }

  object(kind: string, namespace: string, name: string): ObjectView | undefined {
    const key = keyOf({ kind, namespace, name });
    const entry = this.objects.get(key);
    if (!entry) return undefined;
    const drift = this.drift.get(key);
    const rollout = this.rollouts.get(key);
    return {
      apiVersion: entry.apiVersion,
      backend: entry.backend,
      status: entry.status,
      changes: this.objectChanges.get(key) ?? [],
      ...(drift ? { drift } : {}),
      ...(rollout ? { rollout } : {}),
    };
  }
}
