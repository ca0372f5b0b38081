import { status, type ServiceError } from "@grpc/grpc-js";
import { BosunError } from "../../engine/index.ts";

/** A failed Flintlock call: the host, the method, the gRPC status code and flintlockd's text. */
export class FlintlockError extends BosunError {
  override readonly name = "FlintlockError";
  /** The host has no such microVM (flintlockd answers UNKNOWN "… not found"; NOT_FOUND too). */
  readonly notFound: boolean;
  /** The host is down, refused, or did not answer in time: try again later. */
  readonly unavailable: boolean;
  /** The answer could not be decoded. */
  readonly garbage: boolean;

  constructor(
    host: string,
    readonly method: string,
    readonly grpcCode: number,
    readonly detail: string,
    options?: { cause?: unknown; garbage?: boolean },
  ) {
    super(`flintlock host ${host}`, `${method}: ${status[grpcCode] ?? grpcCode}: ${detail}`, {
      ...(options?.cause !== undefined ? { cause: options.cause } : {}),
      code: `FLINTLOCK_${status[grpcCode] ?? "UNKNOWN"}`,
    });
    this.garbage = options?.garbage ?? false;
    this.notFound = grpcCode === status.NOT_FOUND || (grpcCode === status.UNKNOWN && /not found/i.test(detail));
    this.unavailable =
      grpcCode === status.UNAVAILABLE || grpcCode === status.DEADLINE_EXCEEDED || grpcCode === status.CANCELLED;
  }

  /** The gRPC code (`code` is Bosun's stable error code). */
  get status(): number {
    return this.grpcCode;
  }

  static from(host: string, method: string, e: ServiceError): FlintlockError {
    return new FlintlockError(host, method, e.code ?? status.UNKNOWN, e.details || e.message, { cause: e });
  }
}
