/**
 * Status commit coalescing: while rollouts progress, at most one status commit per
 * `status.minIntervalSeconds` (bosun.yaml, default 30). A pass whose status would be written
 * sooner is skipped; the next pass (the engine requeues every `engine.requeueMs` while anything
 * progresses) renders the then-current state. Never deferred: a state in which nothing progresses
 * (so the final state of every rollout is written at once), a new desired commit, and every
 * error phase (Invalid, Unverified, FetchFailed). Pure apart from the clock it is given.
 */
import type { ObjectStatus } from "./types.ts";

/** Object phases that are requeued while they last (a rollout step in flight, a dependency wait). */
const IN_FLIGHT = new Set(["Progressing", "Waiting"]);

export function inFlight(objects: readonly Pick<ObjectStatus, "phase">[] | undefined): boolean {
  return objects?.some((o) => IN_FLIGHT.has(o.phase)) ?? false;
}

export interface CoalesceInput {
  readonly minIntervalSeconds: number;
  /** The commit-level phase of this pass (Applied, Invalid, …). */
  readonly phase: string;
  readonly observedCommit: string | undefined;
  readonly objects: readonly Pick<ObjectStatus, "phase">[] | undefined;
}

export class StatusCoalescer {
  private lastCommitAt: number | undefined;
  private lastObserved: string | undefined;
  private lastInFlight = false;
  /** Writes skipped so far (logs, tests). */
  deferred = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** True when this pass's status should not be committed yet. */
  shouldDefer(input: CoalesceInput): boolean {
    const defer =
      input.minIntervalSeconds > 0 &&
      input.phase === "Applied" &&
      this.lastCommitAt !== undefined &&
      this.lastInFlight &&
      input.observedCommit === this.lastObserved &&
      inFlight(input.objects) &&
      this.now() - this.lastCommitAt < input.minIntervalSeconds * 1000;
    if (defer) this.deferred++;
    return defer;
  }

  /** A status commit was pushed for this input. */
  committed(input: Pick<CoalesceInput, "observedCommit" | "objects">): void {
    this.lastCommitAt = this.now();
    this.lastObserved = input.observedCommit;
    this.lastInFlight = inFlight(input.objects);
  }
}
