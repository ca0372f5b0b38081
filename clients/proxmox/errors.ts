import { BosunError } from "../../engine/index.ts";

/**
 * A failed Proxmox API call: the method and path (never a credential), the HTTP status and the
 * server's message (the status line's reason phrase or the body's `message`), plus the per-parameter
 * `errors` of a 400. `status` 0 means no answer (network error or the request timed out).
 */
export class ProxmoxError extends BosunError {
  override readonly name: string = "ProxmoxError";
  /** The server's reason, without the trailing newline. */
  readonly reason: string;
  /** Per-parameter messages of a 400 "Parameter verification failed." */
  readonly errors: Readonly<Record<string, string>>;

  constructor(
    server: string,
    readonly method: string,
    readonly path: string,
    readonly status: number,
    reason: string,
    options?: { cause?: unknown; errors?: Record<string, string>; code?: string },
  ) {
    const errors = options?.errors ?? {};
    const detail = Object.entries(errors)
      .map(([k, v]) => `${k}: ${v.trim()}`)
      .join("; ");
    const trimmed = reason.trim();
    super(
      `proxmox ${server}`,
      `${method} ${path}: ${status === 0 ? "no answer" : status} ${trimmed}${detail ? ` (${detail})` : ""}`,
      { ...(options?.cause !== undefined ? { cause: options.cause } : {}), code: options?.code ?? codeOf(status) },
    );
    this.reason = trimmed;
    this.errors = errors;
  }

  /** 401: no or invalid credentials. */
  get unauthorized(): boolean {
    return this.status === 401;
  }
  /** 403: the token or user lacks a privilege (`Permission check failed (/vms/100, VM.PowerMgmt)`). */
  get forbidden(): boolean {
    return this.status === 403;
  }
  /** The VM, config, task or path does not exist (500 "… does not exist", 404, 501). */
  get notFound(): boolean {
    return (
      this.status === 404 ||
      this.status === 501 ||
      (this.status === 500 && /does not exist|no such (VM|task)/i.test(this.reason))
    );
  }
  /** Worth trying again later: no answer, a gateway/proxy error, or a lock or cluster-filesystem timeout. */
  get transient(): boolean {
    if (this.status === 0 || this.status === 502 || this.status === 503 || this.status === 504) return true;
    if (this.status === 595 || this.status === 596) return true;
    return (
      this.status === 500 && /got timeout|lock request timeout|temporar|try again|Transport endpoint/i.test(this.reason)
    );
  }
}

function codeOf(status: number): string {
  if (status === 0) return "PROXMOX_UNREACHABLE";
  if (status === 400) return "PROXMOX_INVALID";
  if (status === 401) return "PROXMOX_UNAUTHORIZED";
  if (status === 403) return "PROXMOX_FORBIDDEN";
  return `PROXMOX_HTTP_${status}`;
}

/** A task that stopped with an exit status other than `OK` / `WARNINGS: n`. */
export class ProxmoxTaskError extends BosunError {
  override readonly name = "ProxmoxTaskError";
  constructor(
    server: string,
    readonly upid: string,
    readonly type: string,
    readonly exitstatus: string,
    /** The last lines of the task log. */
    readonly log: readonly string[],
  ) {
    super(`proxmox ${server}`, `task ${type} ${upid} failed: ${exitstatus}`, { code: "PROXMOX_TASK_FAILED" });
  }
}

/** A task still running when the caller's wait ended. The task itself goes on; wait again or abort it. */
export class ProxmoxTaskTimeoutError extends BosunError {
  override readonly name = "ProxmoxTaskTimeoutError";
  constructor(
    server: string,
    readonly upid: string,
    readonly type: string,
    readonly waitedMs: number,
  ) {
    super(`proxmox ${server}`, `task ${type} ${upid} still running after ${waitedMs} ms`, {
      code: "PROXMOX_TASK_TIMEOUT",
    });
  }
}
