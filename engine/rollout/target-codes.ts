import type { TargetState } from "./target-state.ts";

/**
 * A target's observation packed into one byte (a Uint8Array slot, no object per target): the
 * state's code in the low bits, plus `UPDATED` when it already runs the revision.
 */
export const READY = 0;
export const FAILED = 1;
export const PENDING = 2;
export const MISSING = 3;
export const UNREACHABLE = 4;
const UPDATED = 8;
const STATE_BITS = 7;

const CODES: Readonly<Record<TargetState, number>> = {
  ready: READY,
  failed: FAILED,
  pending: PENDING,
  missing: MISSING,
  unreachable: UNREACHABLE,
};

export function encodeTarget(state: TargetState, runsRevision: boolean): number {
  return CODES[state] | (runsRevision ? UPDATED : 0);
}

/** The state code (`READY` … `UNREACHABLE`) of a packed observation. */
export function stateCode(code: number): number {
  return code & STATE_BITS;
}

export function runsRevisionCode(code: number): boolean {
  return (code & UPDATED) !== 0;
}

/** Taken down, so it counts against the budgets: neither ready nor unreachable. */
export function unavailableCode(code: number): boolean {
  const state = code & STATE_BITS;
  return state !== READY && state !== UNREACHABLE;
}

/** Reachable and not on the revision yet: the rollout would change it. */
export function toUpdateCode(code: number): boolean {
  return (code & STATE_BITS) !== UNREACHABLE && (code & UPDATED) === 0;
}
