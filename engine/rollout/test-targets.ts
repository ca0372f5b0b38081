import type { TargetRolloutInput } from "./rollout-types.ts";
import type { TargetState } from "./target-state.ts";

/** Plain-data targets for the rollout tests: a named box on a host, in a wave, at a revision. */
export interface Box {
  readonly name: string;
  readonly wave: number;
  readonly state: TargetState;
  readonly revision: string;
  readonly host: string;
  readonly reason?: string;
}

export const OLD = "rev-1";
export const NEW = "rev-2";

export function box(name: string, fields: Partial<Box> = {}): Box {
  return { name, wave: 0, state: "ready", revision: OLD, host: "h0", ...fields };
}

/** `count` boxes named `<prefix>-0…`, all with `fields`. */
export function boxes(prefix: string, count: number, fields: Partial<Box> = {}): Box[] {
  return Array.from({ length: count }, (_, i) => box(`${prefix}-${i}`, fields));
}

/** A rollout of `targets` to NEW: one auto wave, RollingUpdate with maxUnavailable 2, unless overridden. */
export function rolloutOf(
  targets: readonly Box[],
  overrides: Partial<TargetRolloutInput<Box>> = {},
): TargetRolloutInput<Box> {
  return {
    revision: NEW,
    strategy: "RollingUpdate",
    maxUnavailable: 2,
    waves: [{ name: "all", approval: "auto", successThreshold: 1 }],
    paused: false,
    targets,
    waveOf: (b) => b.wave,
    stateOf: (b) => b.state,
    runsRevision: (b) => b.revision === NEW,
    failureReason: (b, state) => (state === "unreachable" ? "host is silent" : (b.reason ?? "failed")),
    nameOf: (b) => b.name,
    approvedWaves: new Set(),
    approveHint: (wave) => `approve Box/demo --wave ${wave}`,
    noun: { singular: "box", plural: "boxes" },
    maxFailing: 10,
    ...overrides,
  };
}

/** Names of the boxes a step applies. */
export function names(targets: readonly Box[]): string[] {
  return targets.map((b) => b.name);
}
