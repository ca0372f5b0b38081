import { BosunError } from "../model/errors.ts";
import { redactSecrets } from "./redact.ts";

/** Why talking to the desired-state repo failed; each kind says what the operator should do. */
export type GitErrorKind =
  | "unreachable"
  | "auth"
  | "repo-missing"
  | "ref-missing"
  | "corrupt"
  | "signature"
  | "push-rejected"
  | "push-refused"
  | "aborted";

const ADVICE: Record<GitErrorKind, string> = {
  unreachable: "check the URL, the network and that the git server is up; Bosun retries with backoff",
  auth: "check the credentials named in the engine config (env vars or credentials file)",
  "repo-missing": "check the repository URL; the server answered 404",
  "ref-missing": "check that the tracked branch, tag or commit exists on the remote",
  corrupt: "the remote sent data that could not be read; Bosun will refetch, check the server's repository",
  signature: "sign the commit with a key listed in the engine's trusted keys, or fix the trusted keys",
  "push-rejected": "another writer raced the status push; Bosun refetches and retries",
  "push-refused":
    "the server refused the status push (a hook or branch protection); allow Bosun's identity to push the status branch",
  aborted: "the engine is stopping",
};

/** `GIT_` + the kind in upper snake case, e.g. `GIT_REF_MISSING`. Pure. */
export function gitErrorCode(kind: GitErrorKind): string {
  return `GIT_${kind.toUpperCase().replace(/-/g, "_")}`;
}

/**
 * A failure of the git source, naming its subject (redacted URL, ref or commit), the kind and the
 * fix: `<subject>: <kind>: <detail> (<advice>)`, code gitErrorCode(kind).
 * The `cause` is a sanitized copy of the original error: credentials never travel inside it.
 */
export class GitSourceError extends BosunError {
  override readonly name = "GitSourceError";
  constructor(
    readonly kind: GitErrorKind,
    subject: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(subject, `${kind}: ${detail} (${ADVICE[kind]})`, { ...options, code: gitErrorCode(kind) });
  }
}

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  data?: { statusCode?: unknown; reason?: unknown } | undefined;
  cause?: unknown;
}

function chain(err: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  let cur: unknown = err;
  for (let i = 0; i < 5 && cur && typeof cur === "object"; i++) {
    out.push(cur as ErrorLike);
    cur = (cur as ErrorLike).cause;
  }
  return out;
}

/** Maps an isomorphic-git / fetch error to a kind. Pure. */
export function classifyGitError(err: unknown): GitErrorKind {
  if (err instanceof GitSourceError) return err.kind;
  const links = chain(err);
  for (const e of links) {
    const code = String(e.code ?? "");
    const name = String(e.name ?? "");
    const status = Number(e.data?.statusCode ?? Number.NaN);
    if (name === "AbortError" && !String(e.message ?? "").includes("timeout")) return "aborted";
    if (name === "TimeoutError") return "unreachable";
    if (code === "HttpError" || Number.isFinite(status)) {
      if (status === 401 || status === 403) return "auth";
      if (status === 404) return "repo-missing";
      if (status >= 500) return "unreachable";
    }
    if (code === "UserCanceledError") return "auth";
    if (code === "NotFoundError") return "ref-missing";
    if (code === "PushRejectedError") return "push-rejected";
    if (
      [
        "ECONNREFUSED",
        "ECONNRESET",
        "ENOTFOUND",
        "ETIMEDOUT",
        "EHOSTUNREACH",
        "EPIPE",
        "UND_ERR_SOCKET",
        "UND_ERR_CONNECT_TIMEOUT",
      ].includes(code)
    ) {
      return "unreachable";
    }
    if (name === "TypeError" && String(e.message ?? "") === "fetch failed") return "unreachable";
  }
  return "corrupt";
}

/**
 * Why the server refused a push, from the per-ref reason (`ng <ref> <reason>`) or the unpack
 * status: `race` (the branch moved on: refetch and retry), `corrupt` (the server's repository
 * is broken, e.g. a ref naming a missing object) or `push-refused` (hooks, protection). Pure.
 */
export function classifyPushRejection(reason: string): "race" | "corrupt" | "push-refused" {
  if (/non-fast-forward|fetch first|stale|failed to update ref|cannot lock|lock/i.test(reason)) return "race";
  if (/missing necessary objects|bad object|unpack|corrupt|connectivity|index-pack|fatal/i.test(reason))
    return "corrupt";
  return "push-refused";
}

/** Wraps any error as a GitSourceError with every secret removed from the message and cause. */
export function toGitSourceError(err: unknown, subject: string, secrets: readonly string[]): GitSourceError {
  if (err instanceof GitSourceError) return err;
  const kind = classifyGitError(err);
  const raw = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const detail = redactSecrets(raw, secrets);
  const cause = new Error(detail);
  if (err instanceof Error) cause.name = err.name;
  return new GitSourceError(kind, redactSecrets(subject, secrets), detail, { cause });
}

/**
 * A failed status write (fetch, rebuild, push of the status branch) as a GitSourceError: a missing
 * ref or object there means the branch moved under the writer (another engine, a human push, a
 * deleted status branch) — a race, retried on the next pass — not a missing tracked branch.
 */
export function toStatusWriteError(err: unknown, subject: string, secrets: readonly string[]): GitSourceError {
  const error = toGitSourceError(err, subject, secrets);
  if (error.kind !== "ref-missing") return error;
  const detail = error.message.replace(/^.*?: ref-missing: /, "").replace(/ \(check that the tracked .*\)$/, "");
  return new GitSourceError("push-rejected", redactSecrets(subject, secrets), `the status branch moved: ${detail}`, {
    cause: error.cause,
  });
}
