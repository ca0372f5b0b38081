/**
 * Leader election over `coordination.k8s.io/v1` Leases, the decisions only (client-go's
 * leaderelection semantics): a Lease is expired for a candidate when its record has not changed
 * for `leaseDuration` as seen by the candidate's own clock (observed time, never the remote
 * timestamps, so clock skew between nodes does not matter). Pure.
 */

/** client-go's defaults: LeaseDuration 15 s, RenewDeadline 10 s, RetryPeriod 2 s. */
export const LEASE_DEFAULTS = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 } as const;

export interface LeaseTimings {
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

/** What a bad timing configuration is, or undefined when it is good (client-go's checks). */
export function timingsProblem(t: LeaseTimings): string | undefined {
  if (t.retryPeriodMs <= 0) return "retryPeriodMs must be above 0";
  if (t.renewDeadlineMs <= t.retryPeriodMs) return "renewDeadlineMs must be greater than retryPeriodMs";
  if (t.leaseDurationMs <= t.renewDeadlineMs) return "leaseDurationMs must be greater than renewDeadlineMs";
  return undefined;
}

/** The part of a Lease's spec the election reads. */
export interface LeaseRecord {
  readonly holderIdentity?: string;
  readonly leaseDurationSeconds?: number;
  readonly leaseTransitions?: number;
}

/** A Lease as last seen: its record, its resourceVersion, and when (local monotonic ms) it last changed. */
export interface ObservedLease {
  readonly record: LeaseRecord;
  readonly resourceVersion: string;
  readonly observedAt: number;
}

/** Remembers when each Lease's record was last seen to change (by resourceVersion). */
export class LeaseObserver {
  private readonly seen = new Map<string, ObservedLease>();

  observe(name: string, record: LeaseRecord, resourceVersion: string, now: number): ObservedLease {
    const before = this.seen.get(name);
    const next =
      before && before.resourceVersion === resourceVersion
        ? { ...before, record }
        : { record, resourceVersion, observedAt: now };
    this.seen.set(name, next);
    return next;
  }

  get(name: string): ObservedLease | undefined {
    return this.seen.get(name);
  }

  forget(name: string): void {
    this.seen.delete(name);
  }
}

/** True when another candidate may take the Lease now: no holder, or no change for the lease duration. */
export function isFree(observed: ObservedLease | undefined, now: number, leaseDurationMs: number): boolean {
  if (!observed) return true;
  if (!observed.record.holderIdentity) return true;
  const duration = (observed.record.leaseDurationSeconds ?? leaseDurationMs / 1000) * 1000;
  return now - observed.observedAt >= duration;
}

export type LeaseAction =
  | { readonly kind: "renew" }
  | { readonly kind: "acquire"; readonly transitions: number }
  | { readonly kind: "release" }
  | { readonly kind: "wait"; readonly holder?: string };

/**
 * What a candidate does with one shard's Lease this round: renew it when it holds it (or release
 * it when it holds more than its share and others wait), take it when it is free and the
 * candidate is below its share, else wait.
 */
export function leaseAction(input: {
  readonly identity: string;
  readonly observed: ObservedLease | undefined;
  readonly now: number;
  readonly timings: LeaseTimings;
  /** The candidate already holds this many shards (valid fences). */
  readonly held: number;
  readonly share: number;
}): LeaseAction {
  const { identity, observed, now, timings, held, share } = input;
  const holder = observed?.record.holderIdentity;
  if (holder === identity) return held > share ? { kind: "release" } : { kind: "renew" };
  if (isFree(observed, now, timings.leaseDurationMs) && held < share) {
    // As client-go: every change of holder counts (a released Lease too); a new Lease starts at 0.
    const transitions = observed ? (observed.record.leaseTransitions ?? 0) + 1 : 0;
    return { kind: "acquire", transitions };
  }
  return holder ? { kind: "wait", holder } : { kind: "wait" };
}
