import type { CredentialSource } from "../git/credentials.ts";
import type { Identity } from "../status/writer.ts";
import type { BackoffPolicy } from "./backoff.ts";
import type { WebhookSecretSource } from "./webhook-secret.ts";
import type { WebhookOptions } from "./webhook-server.ts";

/** The webhook endpoint; the HMAC secret inline, from an env variable or a file (exactly one). */
export type WebhookConfig = Omit<WebhookOptions, "ref" | "secret"> & WebhookSecretSource;

/** Engine-side configuration of the git source, triggers and status (not bosun.yaml). */
export interface GitLoopConfig {
  readonly repo: {
    /** HTTP(S) URL of the fleet repo. Userinfo in it is treated as credentials and redacted. */
    readonly url: string;
    /** Branch, tag or full commit SHA (default `main`). */
    readonly ref?: string;
    /** Local folder of the bare mirror. */
    readonly mirrorDir: string;
    readonly credentials?: CredentialSource;
    /** Shallow depth (default 1). */
    readonly depth?: number;
    readonly requestTimeoutMs?: number;
  };
  /** Signed commits: armored OpenPGP public keys; when non-empty, unsigned/badly signed commits are not applied. */
  readonly verify?: { readonly trustedKeys: readonly string[] };
  /** Poll interval and jitter fraction (defaults 60 s, 0.1). `intervalMs: 0` disables polling. */
  readonly poll?: { readonly intervalMs?: number; readonly jitter?: number };
  /** Cron expressions (`cron` package syntax, seconds optional) for scheduled passes. */
  readonly cron?: readonly string[];
  readonly webhook?: WebhookConfig;
  readonly status?: {
    /** Default true. */
    readonly enabled?: boolean;
    /** Defaults used until a valid bosun.yaml says otherwise. */
    readonly mode?: "branch" | "folder";
    readonly branch?: string;
    readonly folder?: string;
    readonly identity?: Identity;
    readonly pushAttempts?: number;
    readonly pushBackoff?: BackoffPolicy;
  };
  /** Retry backoff after a failed fetch (default 1 s … 5 min, ×2, 20 % jitter). */
  readonly backoff?: BackoffPolicy;
}
