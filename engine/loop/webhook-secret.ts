/**
 * Where the webhook HMAC secret comes from: inline (`secret`), an environment variable
 * (`secretEnv`) or a file (`secretFile`, e.g. a mounted Kubernetes Secret) — exactly one.
 * Read once at start. The value never appears in errors or logs; only its source is named.
 */
import { readFile } from "node:fs/promises";
import { BosunError } from "../model/errors.ts";

export type WebhookSecretSource =
  | { readonly secret: string; readonly secretEnv?: undefined; readonly secretFile?: undefined }
  | { readonly secretEnv: string; readonly secret?: undefined; readonly secretFile?: undefined }
  | { readonly secretFile: string; readonly secret?: undefined; readonly secretEnv?: undefined };

/** The webhook secret cannot be resolved; subject "webhook secret", code `WEBHOOK_SECRET`. */
export class WebhookSecretError extends BosunError {
  override readonly name = "WebhookSecretError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("webhook secret", message, { ...options, code: "WEBHOOK_SECRET" });
  }
}

const KEYS = ["secret", "secretEnv", "secretFile"] as const;

/** What is wrong with the shape of a webhook config's secret source, or undefined. Pure. */
export function webhookSecretProblem(config: Readonly<Record<string, unknown>>): string | undefined {
  const given = KEYS.filter((k) => config[k] !== undefined);
  if (given.length !== 1) {
    return `webhook needs exactly one of secret, secretEnv, secretFile (got ${given.length === 0 ? "none" : given.join(", ")})`;
  }
  const key = given[0]!;
  if (typeof config[key] !== "string" || config[key] === "") return `webhook.${key} must be a non-empty string`;
  return undefined;
}

/** Resolves the secret. Throws WebhookSecretError naming the source (never the value) and the fix. */
export async function resolveWebhookSecret(
  source: WebhookSecretSource,
  env: NodeJS.ProcessEnv = process.env,
  signal?: AbortSignal,
): Promise<string> {
  const problem = webhookSecretProblem(source);
  if (problem) throw new WebhookSecretError(`${problem}; fix the engine config`);
  if (source.secret !== undefined) return source.secret;
  if (source.secretEnv !== undefined) {
    const value = env[source.secretEnv];
    const problem = `environment variable ${source.secretEnv} is not set or empty`;
    if (!value) throw new WebhookSecretError(`${problem}; set it or change webhook.secretEnv`);
    return value;
  }
  const path = source.secretFile!;
  let text: string;
  try {
    text = await readFile(path, { encoding: "utf8", ...(signal ? { signal } : {}) });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    const advice = "check webhook.secretFile and the file's permissions";
    throw new WebhookSecretError(`file ${path} cannot be read (${code}); ${advice}`, { cause: new Error(code) });
  }
  // One trailing newline (echo, editors) is not part of the secret; other whitespace is.
  const value = text.replace(/\r?\n$/, "");
  if (value === "") throw new WebhookSecretError(`file ${path} is empty; write the secret into it`);
  return value;
}
