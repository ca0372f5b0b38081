/**
 * The dashboard's settings (`ui:` in the engine config). The token is referenced (an env variable
 * or a file), never inlined, like every other credential of the engine.
 */
import { readFile } from "node:fs/promises";
import { BosunError } from "../../engine/index.ts";

export interface UiConfig {
  /** false: no /ui and no /api (default true). */
  readonly enabled?: boolean;
  /** Env variable holding the bearer token; with it (or tokenFile) every /ui and /api request needs the token. */
  readonly tokenEnv?: string;
  /** File holding the bearer token (trailing whitespace ignored). */
  readonly tokenFile?: string;
  /** A reverse proxy's identity header (e.g. X-Forwarded-User): a request carrying it is let in as that user. */
  readonly trustedProxyHeader?: string;
  /** No pass for this long: the dashboard shows "stale" (default 3 minutes, or 3 poll intervals if longer). */
  readonly staleAfterMs?: number;
}

export interface UiSettings {
  readonly enabled: boolean;
  readonly token?: string;
  readonly trustedProxyHeader?: string;
  readonly staleAfterMs?: number;
}

/** Reads the token; a missing env variable or unreadable file is a fatal start-up problem. */
export async function resolveUiConfig(config: UiConfig | undefined): Promise<UiSettings> {
  const enabled = config?.enabled ?? true;
  let token: string | undefined;
  if (config?.tokenEnv !== undefined) {
    token = process.env[config.tokenEnv];
    if (!token)
      throw new BosunError(`ui.tokenEnv ${config.tokenEnv}`, "is not set or empty; export it or remove ui.tokenEnv", {
        code: "UI_TOKEN",
      });
  } else if (config?.tokenFile !== undefined) {
    try {
      token = (await readFile(config.tokenFile, "utf8")).trim();
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code ?? String(cause);
      throw new BosunError(`ui.tokenFile ${config.tokenFile}`, `cannot be read (${code})`, { cause, code: "UI_TOKEN" });
    }
    if (!token) throw new BosunError(`ui.tokenFile ${config.tokenFile}`, "is empty", { code: "UI_TOKEN" });
  }
  return {
    enabled,
    ...(token !== undefined ? { token } : {}),
    ...(config?.trustedProxyHeader !== undefined
      ? { trustedProxyHeader: config.trustedProxyHeader.toLowerCase() }
      : {}),
    ...(config?.staleAfterMs !== undefined ? { staleAfterMs: config.staleAfterMs } : {}),
  };
}
