import type { Change } from "../../engine/model/change.ts";
import { SinkError, type SinkErrorKind } from "../../engine/model/errors.ts";
import { describeRef, type ObjectRef } from "../../engine/model/object-ref.ts";

/** A failed action on one object: skipped, with the reason and its typed error. */
export function failed(ref: ObjectRef, kind: SinkErrorKind, reason: string): Change {
  return { action: "skipped", ref, reason, error: new SinkError(describeRef(ref), kind, reason) };
}

export const UNREACHABLE = "Unavailable: the memory backend is unreachable";

/** The error every call gets while the storage is unreachable. */
export function unreachable(subject: string): SinkError {
  return new SinkError(subject, "transient", UNREACHABLE);
}
