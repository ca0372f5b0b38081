/** Typed errors of the device simulator; the underlying failure is always kept as `cause`. */
export type SimulatorErrorCode = "InvalidSpec" | "InvalidSelector" | "InventoryFailed" | "CrdInstallFailed" | "WatchFailed" | "InvalidArgs";

export class SimulatorError extends Error {
  override readonly name = "SimulatorError";
  readonly code: SimulatorErrorCode;

  constructor(code: SimulatorErrorCode, message: string, opts: { cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? {} : { cause: opts.cause });
    this.code = code;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
