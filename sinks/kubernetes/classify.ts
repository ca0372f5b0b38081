import { InvalidObjectError, isKubeApiError } from "../../clients/kubernetes/errors.ts";
import { SinkError, type SinkErrorKind } from "../../engine/model/errors.ts";
import { describeRef, type ObjectRef } from "../../engine/model/object-ref.ts";
import { WaitTimeoutError } from "./wait.ts";

/**
 * What a failure means for the next pass, from the API status:
 * - 409 Conflict (a field another manager owns, a stale resourceVersion) → `conflict`;
 * - no answer, 401, 408, 410, 429, 5xx, a wait that timed out → `transient`;
 * - any other 4xx (400, 403 Forbidden, 404 NotFound or NoKindMatch, 405, 409 AlreadyExists,
 *   422 Invalid), an object that is not one, anything unexpected → `permanent`.
 */
export function sinkErrorKind(err: unknown): SinkErrorKind {
  if (err instanceof WaitTimeoutError) return "transient";
  if (err instanceof InvalidObjectError || !isKubeApiError(err)) return "permanent";
  const code = err.statusCode;
  if (code === 409) return err.reason === "Conflict" ? "conflict" : "permanent";
  if (code === 0 || code === 401 || code === 408 || code === 410 || code === 429 || code >= 500) return "transient";
  return code >= 400 ? "permanent" : "transient";
}

/** The human-readable reason of a failure: `Reason: message` for API errors (e.g. `Conflict: …`). */
export function failureText(err: unknown): string {
  if (isKubeApiError(err)) return `${err.reason}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/** A failure on one object as the Sink reports it: the reason text and the typed error (cause kept). */
export function sinkFailure(ref: ObjectRef, err: unknown, prefix = ""): { reason: string; error: SinkError } {
  const reason = `${prefix}${failureText(err)}`;
  return { reason, error: new SinkError(describeRef(ref), sinkErrorKind(err), reason, { cause: err }) };
}
