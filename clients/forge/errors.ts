import { BosunError } from "../../engine/index.ts";

/**
 * What a forge answer means for the caller (the stated policy per code):
 * - `auth` (401) and `forbidden` (403): fail fast, naming the repo; the token or its scope is wrong;
 * - `not-found` (404): the repo or PR does not exist, or (private repo) the token cannot see it;
 * - `conflict` (409) and `invalid` (422): re-read the state before anything else, no blind retry;
 * - `locked` (423): the repo is archived, stop;
 * - `rate-limited` (429): retried after `Retry-After`;
 * - `server` (5xx) and `network`: retried with jittered backoff when the call is idempotent;
 *   a create is not (the caller re-reads and reconciles instead).
 */
export type ForgeErrorKind =
  "auth" | "forbidden" | "not-found" | "conflict" | "invalid" | "locked" | "rate-limited" | "server" | "network";

export class ForgeError extends BosunError {
  override readonly name = "ForgeError";
  constructor(
    subject: string,
    readonly kind: ForgeErrorKind,
    readonly status: number | undefined,
    message: string,
    /** From `Retry-After` (429, 503). */
    readonly retryAfterMs?: number,
  ) {
    super(subject, message, { code: `FORGE_${kind.toUpperCase().replace("-", "_")}` });
  }

  get retryable(): boolean {
    return this.kind === "rate-limited" || this.kind === "server" || this.kind === "network";
  }
}

export function kindOfStatus(status: number): ForgeErrorKind {
  if (status === 401) return "auth";
  if (status === 403) return "forbidden";
  if (status === 404) return "not-found";
  if (status === 409) return "conflict";
  if (status === 422 || status === 400) return "invalid";
  if (status === 423) return "locked";
  if (status === 429) return "rate-limited";
  return "server";
}

const HINTS: Record<ForgeErrorKind, string> = {
  auth: "the forge refused the token; check BOSUN_FORGE_TOKEN (or the token file)",
  forbidden: "the token may not do this; give it write access to issues/pull requests and commit statuses",
  "not-found": "no such repo, PR or comment, or the token cannot see a private repo",
  conflict: "the state changed meanwhile; it is read again",
  invalid: "the forge rejected the request",
  locked: "the repo is archived (locked); nothing can be written",
  "rate-limited": "rate limited; retried after Retry-After",
  server: "the forge failed; retried with backoff",
  network: "the forge is unreachable",
};

/** Seconds or an HTTP date, as milliseconds from now. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function forgeError(subject: string, status: number, detail: string, retryAfter?: string | null): ForgeError {
  const kind = kindOfStatus(status);
  const retryAfterMs = parseRetryAfter(retryAfter);
  return new ForgeError(
    subject,
    kind,
    status,
    `HTTP ${status}: ${HINTS[kind]}${detail ? ` (${detail.slice(0, 200)})` : ""}`,
    retryAfterMs,
  );
}
