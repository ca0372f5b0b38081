/**
 * Typed errors of the agent. Each names its subject ("DeviceProcess infra/x: …") and says what
 * to do; the underlying error travels as `cause`.
 */

export type AgentErrorCode =
  | "ChecksumMismatch"
  | "DownloadFailed"
  | "InsecureSource"
  | "BadArtifact"
  | "BackendFailed"
  | "StartFailed"
  | "KubeRequestFailed"
  | "KubeGone"
  | "BadConfig"
  | "IdentityFailed";

export class AgentError extends Error {
  readonly code: AgentErrorCode;
  readonly subject: string;
  constructor(code: AgentErrorCode, subject: string, message: string, options?: { cause?: unknown }) {
    super(`${subject}: ${message}`, options);
    this.name = "AgentError";
    this.code = code;
    this.subject = subject;
  }
}

/** An HTTP answer from the Kubernetes API server that was not 2xx. */
export class KubeApiError extends AgentError {
  readonly status: number;
  readonly reason: string;
  constructor(subject: string, status: number, reason: string, message: string) {
    super(status === 410 ? "KubeGone" : "KubeRequestFailed", subject, `HTTP ${status} ${reason}: ${message}`);
    this.name = "KubeApiError";
    this.status = status;
    this.reason = reason;
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
