import { BosunError } from "../../engine/model/errors.ts";

/** What went wrong in the device simulator; `code` is `SIMULATOR_` + the kind in upper snake case. */
export type SimulatorErrorKind =
  "InvalidSpec" | "InvalidSelector" | "InventoryFailed" | "CrdInstallFailed" | "WatchFailed" | "InvalidArgs";

/** Typed errors of the device simulator (subject "device simulator"); the underlying failure is kept as `cause`. */
export class SimulatorError extends BosunError {
  override readonly name = "SimulatorError";
  constructor(
    readonly kind: SimulatorErrorKind,
    message: string,
    opts: { cause?: unknown } = {},
  ) {
    super("device simulator", message, { ...opts, code: `SIMULATOR_${upperSnake(kind)}` });
  }
}

/** `InvalidSpec` → `INVALID_SPEC`. Pure. */
function upperSnake(camel: string): string {
  return camel.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
