import type { DesiredState } from "../desired/load-fleet.ts";
import type { ObjectStatus } from "../status/types.ts";

export interface ApplyContext {
  /** The desired-state commit (or `local:<digest>` in local-directory mode). */
  readonly commit: string;
  readonly signal: AbortSignal;
}

/**
 * The port the loop hands validated desired state to (the Kubernetes sink and rollout engine
 * plug in here). Called only with valid state; called again each pass so it can correct drift.
 * Returns one status per fleet object it manages.
 */
export interface DesiredStateConsumer {
  apply(desired: DesiredState, context: ApplyContext): Promise<readonly ObjectStatus[]>;
}
