/** The JSON the dashboard reads from /api (the server's types, app/ui/read-model.ts, as the browser sees them). */

export interface EngineView {
  startedAt: number;
  lastPassAt?: number;
  lastPassOutcome?: string;
  appliedCommit?: string;
  stale: boolean;
  staleAfterMs: number;
}

export interface Summary {
  engine: EngineView;
  objects: number;
  devices: number;
  rollouts: { total: number; byPhase: Record<string, number> };
  drifted: number;
  phases: Record<string, number>;
  seq: number;
  user?: string;
}

export interface FleetRow {
  backend: string;
  kind: string;
  namespace: string;
  name: string;
  phase: string;
  source?: string;
  message?: string;
}

export interface FleetPage {
  total: number;
  offset: number;
  limit: number;
  items: FleetRow[];
  facets: { backend: Record<string, number>; kind: Record<string, number>; phase: Record<string, number> };
}

export interface WaveView {
  name: string;
  state: string;
  approval: string;
  total: number;
  updated: number;
  ready: number;
  failed: number;
  unreachable: number;
}

export interface RolloutView {
  kind: string;
  namespace: string;
  name: string;
  phase: string;
  summary: string;
  waiting?: string;
  waves: WaveView[];
  counts: Record<string, number>;
  budget?: { inFlight: number; maxUnavailable: number };
  approval?: { wave: string; command: string };
  failingDevices: string[];
  failingDevicesOmitted?: number;
  refusedApprovals: string[];
}

export interface Field {
  pointer: string;
  desired?: unknown;
  live?: unknown;
  redacted?: true;
}

export interface DriftView {
  kind: string;
  namespace: string;
  name: string;
  mode: "corrected" | "detect-only";
  fields: Field[];
  reason: string;
  commit: string;
  seenAt: number;
}

export interface PassView {
  seq: number;
  at: number;
  outcome: string;
  commit?: string;
  statusCommit?: string;
  objects?: number;
  changes?: number;
  written?: number;
  planDigests: string[];
  detail?: string;
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface ObjectPage {
  apiVersion: string;
  backend: string;
  status: {
    kind: string;
    namespace: string;
    name: string;
    source?: string;
    observedCommit: string;
    planDigest?: string;
    phase: string;
    conditions?: Condition[];
    counts?: Record<string, number>;
    lastError?: string;
  };
  changes: { at: number; action: string; reason: string }[];
  drift?: DriftView;
  rollout?: RolloutView;
  events: { type: string; reason: string; message: string; count: number; lastSeen: string }[];
  statusFile?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, { headers: { accept: "application/json" }, ...(signal ? { signal } : {}) });
  if (!res.ok) throw new ApiError(res.status, `${path}: ${res.status} ${res.statusText}`);
  return (await res.json()) as T;
}
