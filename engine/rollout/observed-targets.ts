import type { TargetRolloutInput } from "./rollout-types.ts";
import {
  encodeTarget,
  FAILED,
  READY,
  runsRevisionCode,
  stateCode,
  UNREACHABLE,
  unavailableCode,
} from "./target-codes.ts";

/** Counts of one wave's targets (`toUpdate` = reachable − updated, unreachable = total − reachable). */
export interface WaveTally {
  total: number;
  reachable: number;
  /** Reachable and on the revision; split into ready, failed and pending (pending or missing). */
  updated: number;
  ready: number;
  failed: number;
  pending: number;
  /** Index range in `targets` holding the wave's targets (one contiguous run when sorted by wave). */
  first: number;
  last: number;
}

/** Every target observed once: packed codes (see target-codes.ts) and the counts the step needs. */
export interface ObservedTargets {
  readonly codes: Uint8Array;
  /** One tally per wave, by wave index. */
  readonly waves: readonly WaveTally[];
  /** Targets neither ready nor unreachable, in any wave. */
  readonly unavailable: number;
  /** Unreachable targets not on the revision yet. */
  readonly unreachableBehind: number;
}

type Observed<T> = Pick<TargetRolloutInput<T>, "targets" | "waves" | "waveOf" | "stateOf" | "runsRevision">;

/** One pass over the targets: each accessor is called once per target. */
export function observeTargets<T>(input: Observed<T>): ObservedTargets {
  const { targets } = input;
  const codes = new Uint8Array(targets.length);
  const waves = input.waves.map(emptyTally);
  let unavailable = 0;
  let unreachableBehind = 0;
  for (let i = 0; i < targets.length; i++) {
    const target = targets[i] as T;
    const code = encodeTarget(input.stateOf(target), input.runsRevision(target));
    codes[i] = code;
    if (unavailableCode(code)) unavailable++;
    else if (stateCode(code) === UNREACHABLE && !runsRevisionCode(code)) unreachableBehind++;
    const tally = waves[input.waveOf(target)];
    if (tally) countInto(tally, i, code);
  }
  return { codes, waves, unavailable, unreachableBehind };
}

function emptyTally(): WaveTally {
  return { total: 0, reachable: 0, updated: 0, ready: 0, failed: 0, pending: 0, first: 0, last: -1 };
}

function countInto(tally: WaveTally, index: number, code: number): void {
  if (tally.total === 0) tally.first = index;
  tally.last = index;
  tally.total++;
  const state = stateCode(code);
  if (state === UNREACHABLE) return;
  tally.reachable++;
  if (!runsRevisionCode(code)) return;
  tally.updated++;
  if (state === READY) tally.ready++;
  else if (state === FAILED) tally.failed++;
  else tally.pending++;
}
