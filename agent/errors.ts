/**
 * Typed errors of the agent. Each names its subject ("DeviceProcess infra/x: …") and says what
 * to do; the underlying error travels as `cause`. They extend Bosun's BosunError (a small pure
 * module, so the agent stays light): `kind` is the CamelCase reason the agent reports in
 * conditions and events (e.g. `ChecksumMismatch`), `code` the stable upper snake case form
 * (`AGENT_CHECKSUM_MISMATCH`) that logs and tests key on.
 */
import { BosunError } from "../engine/model/errors.ts";

export type AgentErrorKind =
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

/** `AGENT_` + the kind in upper snake case, e.g. `AGENT_KUBE_GONE`. Pure. */
export function agentErrorCode(kind: AgentErrorKind): string {
  return `AGENT_${kind.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}`;
}

export class AgentError extends BosunError {
  override readonly name: string = "AgentError";
  constructor(
    readonly kind: AgentErrorKind,
    subject: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(subject, message, { ...options, code: agentErrorCode(kind) });
  }
}

/** An HTTP answer from the Kubernetes API server that was not 2xx. */
export class KubeApiError extends AgentError {
  override readonly name = "KubeApiError";
  readonly status: number;
  readonly reason: string;
  constructor(subject: string, status: number, reason: string, message: string) {
    super(status === 410 ? "KubeGone" : "KubeRequestFailed", subject, `HTTP ${status} ${reason}: ${message}`);
    this.status = status;
    this.reason = reason;
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
