import { BosunError } from "../../engine/index.ts";
import type { Status } from "./types.ts";

/**
 * A failed Flightctl call: what was done (`PUT devices/d1`), the HTTP code (0 when no answer came
 * back: refused, reset, TLS), the Status reason and message. Code `FLIGHTCTL_UNREACHABLE` without an
 * answer, `FLIGHTCTL_API` otherwise.
 */
export class FlightctlError extends BosunError {
  override readonly name = "FlightctlError";

  constructor(
    subject: string,
    readonly statusCode: number,
    readonly reason: string,
    readonly detail: string,
    options: { cause?: unknown; status?: Status } = {},
  ) {
    super(subject, `${statusCode === 0 ? "" : `${statusCode} `}${reason}: ${detail}`, {
      ...(options.cause === undefined ? {} : { cause: options.cause }),
      code: statusCode === 0 ? "FLIGHTCTL_UNREACHABLE" : "FLIGHTCTL_API",
    });
  }

  get notFound(): boolean {
    return this.statusCode === 404;
  }

  /** resourceVersion mismatch, name taken, or the object is owned by another (re-read, then decide). */
  get conflict(): boolean {
    return this.statusCode === 409;
  }

  /** Try again later: no answer, rate limited, server trouble. */
  get retriable(): boolean {
    return this.statusCode === 0 || this.statusCode === 429 || this.statusCode >= 500;
  }

  /** The server refused the request as invalid (fix the input). */
  get invalid(): boolean {
    return this.statusCode === 400 || this.statusCode === 422;
  }
}

export function isFlightctlError(e: unknown): e is FlightctlError {
  return e instanceof FlightctlError;
}
