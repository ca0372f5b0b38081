import { BosunError } from "../../engine/model/errors.ts";

/** A Kubernetes `Status` object as the apiserver returns it on failure. */
export interface KubeStatus {
  readonly kind?: string;
  readonly status?: string;
  readonly message?: string;
  readonly reason?: string;
  readonly code?: number;
  readonly details?: {
    readonly name?: string;
    readonly kind?: string;
    readonly causes?: ReadonlyArray<{ readonly reason?: string; readonly message?: string; readonly field?: string }>;
  };
}

/**
 * A failed Kubernetes API call. `statusCode` is the HTTP code (0 when no response came back:
 * connection refused, reset, TLS failure); `reason` the Status reason (`NotFound`, `Conflict`,
 * `Expired`, `Gone`, `AlreadyExists`, `Invalid`…, or `ConnectionFailed`); `subject` names what was
 * being done (`apply Deployment ns/name`). Code `KUBE_UNREACHABLE` when no answer came back,
 * `KUBE_API` otherwise.
 */
export class KubeApiError extends BosunError {
  override readonly name = "KubeApiError";
  readonly statusCode: number;
  readonly reason: string;
  readonly status: KubeStatus | undefined;

  constructor(
    subject: string,
    statusCode: number,
    reason: string,
    message: string,
    opts: { cause?: unknown; status?: KubeStatus } = {},
  ) {
    super(subject, `${statusCode === 0 ? "" : `${statusCode} `}${reason}: ${message}`, {
      ...(opts.cause === undefined ? {} : { cause: opts.cause }),
      code: statusCode === 0 ? "KUBE_UNREACHABLE" : "KUBE_API",
    });
    this.statusCode = statusCode;
    this.reason = reason;
    this.status = opts.status;
  }

  static fromStatus(subject: string, statusCode: number, status: KubeStatus | undefined, body: string): KubeApiError {
    const reason = status?.reason ?? (statusCode === 410 ? "Gone" : `HTTP${statusCode}`);
    const message = status?.message ?? body.slice(0, 500);
    return new KubeApiError(subject, statusCode, reason, message, status ? { status } : {});
  }
}

/** A body handed to the client is not a Kubernetes object (no apiVersion, kind or metadata.name). Nothing was sent. */
export class InvalidObjectError extends BosunError {
  override readonly name = "InvalidObjectError";
  constructor(subject: string, message: string) {
    super(subject, message, { code: "KUBE_INVALID_OBJECT" });
  }
}

export function isKubeApiError(err: unknown): err is KubeApiError {
  return err instanceof KubeApiError;
}

export function isNotFound(err: unknown): boolean {
  return isKubeApiError(err) && err.statusCode === 404;
}

export function isConflict(err: unknown): boolean {
  return isKubeApiError(err) && err.statusCode === 409;
}

/** The server does not serve this apiVersion/kind (its CRD is missing or not established yet). */
export function isNoKindMatch(err: unknown): boolean {
  return isKubeApiError(err) && err.reason === "NoKindMatch";
}

/** 410 Gone / reason Expired: a resourceVersion or continue token is too old; relist. */
export function isGone(err: unknown): boolean {
  return isKubeApiError(err) && (err.statusCode === 410 || err.reason === "Expired" || err.reason === "Gone");
}

/** No answer from the server (refused, reset, TLS) or 5xx / 429: worth retrying after a pause. */
export function isRetriable(err: unknown): boolean {
  return isKubeApiError(err) && (err.statusCode === 0 || err.statusCode === 429 || err.statusCode >= 500);
}
