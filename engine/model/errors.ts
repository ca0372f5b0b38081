/**
 * Base of Bosun's typed errors: names its subject ("DeviceProcessDeployment infra/x",
 * "git remote", a file) and keeps the underlying cause.
 */
export class BosunError extends Error {
  override readonly name: string = "BosunError";
  constructor(
    readonly subject: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${subject}: ${message}`, options);
  }
}

/** A command was called wrongly (exit code 2). */
export class UsageError extends BosunError {
  override readonly name = "UsageError";
}
