/**
 * Base of Bosun's typed errors: names its subject ("DeviceProcessDeployment infra/x",
 * "git remote", a file), carries a stable `code` that tests, logs and status key on, and keeps
 * the underlying cause.
 */
export class BosunError extends Error {
  override readonly name: string = "BosunError";
  /** Stable, upper snake case (e.g. `USAGE`, `SINK_TRANSIENT`); never reworded. */
  readonly code: string;
  constructor(
    readonly subject: string,
    message: string,
    options?: { cause?: unknown; code?: string },
  ) {
    super(`${subject}: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = options?.code ?? "BOSUN";
  }
}

/** A command was called wrongly (exit code 2). */
export class UsageError extends BosunError {
  override readonly name = "UsageError";
  constructor(subject: string, message: string, options?: { cause?: unknown }) {
    super(subject, message, { ...options, code: "USAGE" });
  }
}

/**
 * How a backend write or read failed, which says what the engine does next:
 * - `transient`: the backend is unreachable, overloaded or timed out; the next pass retries;
 * - `permanent`: the object itself is refused (invalid, forbidden, does not fit); retrying the
 *   same desired state fails again until Git or the backend changes;
 * - `conflict`: someone else holds the object or its fields; self-heal may take it back.
 */
export type SinkErrorKind = "transient" | "permanent" | "conflict";

/** A backend's failure on one object (apply, delete, observe). */
export class SinkError extends BosunError {
  override readonly name = "SinkError";
  constructor(
    subject: string,
    readonly kind: SinkErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(subject, message, { ...options, code: `SINK_${kind.toUpperCase()}` });
  }
}
