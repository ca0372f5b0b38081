import { readFile } from "node:fs/promises";
import { parse } from "yaml";
import { BosunError } from "../model/errors.ts";

/**
 * Where the git credentials come from (engine config; never bosun.yaml, never the fleet repo).
 * - `env`: names of environment variables (defaults `BOSUN_GIT_USERNAME`, `BOSUN_GIT_PASSWORD`, `BOSUN_GIT_TOKEN`).
 * - `file`: a YAML file `{ username, password }` or `{ token, username? }`.
 */
export type CredentialSource =
  | { readonly kind: "env"; readonly usernameVar?: string; readonly passwordVar?: string; readonly tokenVar?: string }
  | { readonly kind: "file"; readonly path: string };

/** Resolved credentials: always sent as HTTP Basic (token → username `x-access-token` unless given). */
export interface GitCredentials {
  readonly username: string;
  readonly password: string;
}

export const TOKEN_USERNAME = "x-access-token";

/** The git credentials file named in the engine config is unusable. Code `GIT_CREDENTIALS`. */
export class CredentialError extends BosunError {
  override readonly name = "CredentialError";
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(`git credentials file ${path}`, message, { ...options, code: "GIT_CREDENTIALS" });
  }
}

/** Reads the credentials; `undefined` when the source names nothing (anonymous access). */
export async function loadCredentials(
  source: CredentialSource | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<GitCredentials | undefined> {
  if (!source) return undefined;
  if (source.kind === "env") {
    const token = env[source.tokenVar ?? "BOSUN_GIT_TOKEN"];
    const username = env[source.usernameVar ?? "BOSUN_GIT_USERNAME"];
    const password = env[source.passwordVar ?? "BOSUN_GIT_PASSWORD"];
    if (token) return { username: username || TOKEN_USERNAME, password: token };
    if (password) return { username: username ?? "", password };
    return undefined;
  }
  let text: string;
  try {
    text = await readFile(source.path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    const message = `cannot read it: ${code} (check the path in the engine config)`;
    throw new CredentialError(source.path, message, { cause: err });
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    throw new CredentialError(source.path, "is not YAML (expected {username, password} or {token})");
  }
  const o = (doc ?? {}) as Record<string, unknown>;
  if (typeof o["token"] === "string")
    return { username: typeof o["username"] === "string" ? o["username"] : TOKEN_USERNAME, password: o["token"] };
  if (typeof o["password"] === "string")
    return { username: typeof o["username"] === "string" ? o["username"] : "", password: o["password"] };
  throw new CredentialError(source.path, "has neither token nor password (expected {username, password} or {token})");
}

/** The Authorization header for these credentials. */
export function basicAuthHeader(c: GitCredentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString("base64")}`;
}

/** Every string that must never appear in a log or status file. */
export function secretsOf(c: GitCredentials | undefined): string[] {
  if (!c) return [];
  return [c.password, basicAuthHeader(c).slice("Basic ".length)];
}
