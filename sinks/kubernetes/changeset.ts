import type { FieldDiff } from "../../engine/diff/index.ts";

export type ChangeAction = "created" | "configured" | "unchanged" | "deleted" | "skipped";

/** One mutation (or deliberate non-mutation) the sink did, for the ChangeSet and the status. */
export interface ChangeSetEntry {
  readonly action: ChangeAction;
  /** `Kind namespace/name` or `Kind name`. */
  readonly subject: string;
  readonly ref: { readonly apiVersion: string; readonly kind: string; readonly namespace: string; readonly name: string };
  /** Why: `drift corrected: /spec/replicas`, `Conflict: …`, `not managed by bosun`, `MassDeletionRefused …`. */
  readonly reason: string;
  /** Field differences seen before the action (drift or pending change). */
  readonly fields?: readonly FieldDiff[];
  /** Set when the action failed; the entry is then `skipped`. */
  readonly error?: Error;
}
