import type { SinkError } from "./errors.ts";
import type { ObjectRef } from "./object-ref.ts";

export type ChangeAction = "created" | "configured" | "unchanged" | "deleted" | "skipped";

/** A field that differs between desired and live (values absent when not known or redacted). */
export interface ChangedField {
  /** JSON pointer, e.g. `/spec/replicas`. */
  readonly pointer: string;
  readonly desired?: unknown;
  readonly live?: unknown;
}

/** What a backend did to one object (or deliberately did not do): one ChangeSet entry. */
export interface Change {
  readonly action: ChangeAction;
  readonly ref: ObjectRef;
  /** Why: `drift corrected: /spec/replicas`, `Conflict: …`, `not managed by bosun`, `pruned` … */
  readonly reason: string;
  /** Field differences seen before the action (drift or pending change). */
  readonly fields?: readonly ChangedField[];
  /** Set when the action failed; the entry is then `skipped`. */
  readonly error?: SinkError;
}

/** The pointers of a change's fields, for messages. */
export function changedPointers(change: Change): string[] {
  return (change.fields ?? []).map((f) => f.pointer);
}
