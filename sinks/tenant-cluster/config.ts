/**
 * The `backends.tenantClusters` section of the engine config: the Proxmox API (URL, CA, an API
 * token or a user's password, from an environment variable or a file, never inline), the snippets
 * storage where workers' cloud-init user data is written, and the pacing of worker restarts.
 *
 * ```yaml
 * backends:
 *   tenantClusters:
 *     proxmox:
 *       url: https://pve-01.example:8006
 *       caFile: /etc/bosun/pve-ca.pem
 *       token: { id: "bosun@pve!gitops", secretEnv: BOSUN_PVE_TOKEN }   # or secretFile
 *       # password: { username: bosun@pve, passwordEnv: BOSUN_PVE_PASSWORD }  (ticket + CSRF token)
 *     snippets: { storage: snippets, dir: /mnt/pve/snippets }   # a snippets storage this engine can write
 *     restartBudgetPerNode: 1
 * ```
 */
import { readFileSync } from "node:fs";
import { BosunError } from "../../engine/index.ts";

export type ProxmoxCredentials =
  { readonly tokenId: string; readonly secret: string } | { readonly username: string; readonly password: string };

export interface TenantClustersConfig {
  readonly proxmox: {
    readonly url: string;
    readonly caFile?: string;
    readonly auth: ProxmoxCredentials;
    readonly timeoutMs?: number;
    readonly taskTimeoutMs: number;
    readonly taskPollMs?: number;
  };
  /** The Proxmox storage holding snippets, and where it is mounted on this machine. */
  readonly snippets: { readonly storage: string; readonly dir: string };
  readonly restartBudgetPerNode: number;
  readonly shutdownTimeoutSeconds: number;
  readonly joinTokenTtlHours: number;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function secretFrom(
  doc: Record<string, unknown>,
  envKey: string,
  fileKey: string,
  at: string,
  fail: (m: string) => never,
  env: NodeJS.ProcessEnv,
): string {
  const envName = doc[envKey];
  const file = doc[fileKey];
  if ((envName === undefined) === (file === undefined))
    return fail(`${at} needs exactly one of ${envKey} and ${fileKey}`);
  if (typeof envName === "string") {
    const v = env[envName];
    if (v === undefined || v === "") return fail(`${at}.${envKey}: environment variable ${envName} is not set`);
    return v;
  }
  try {
    return readFileSync(String(file), "utf8").trim();
  } catch (e) {
    return fail(`${at}.${fileKey}: cannot read ${String(file)} (${(e as Error).message})`);
  }
}

/** Validates `backends.tenantClusters` and reads its credentials; `subject` names the source in errors. */
export function parseTenantClustersConfig(
  doc: unknown,
  subject: string,
  env: NodeJS.ProcessEnv = process.env,
): TenantClustersConfig {
  const fail = (message: string): never => {
    throw new BosunError(subject, `backends.tenantClusters.${message}`);
  };
  if (!isRecord(doc)) return fail("must be a mapping");
  const p = doc["proxmox"];
  if (!isRecord(p)) return fail("proxmox must be a mapping with url and token or password");
  const url = p["url"];
  if (typeof url !== "string" || !/^https:\/\/[^\s/]+/.test(url)) return fail("proxmox.url must be https://host:port");
  let auth: ProxmoxCredentials;
  if (isRecord(p["token"]) && p["password"] === undefined) {
    const t = p["token"];
    if (typeof t["id"] !== "string" || !/^[^@\s]+@[^!\s]+![^\s=]+$/.test(t["id"]))
      return fail("proxmox.token.id must be USER@REALM!TOKENID");
    auth = { tokenId: t["id"], secret: secretFrom(t, "secretEnv", "secretFile", "proxmox.token", fail, env) };
  } else if (isRecord(p["password"]) && p["token"] === undefined) {
    const pw = p["password"];
    if (typeof pw["username"] !== "string" || !pw["username"].includes("@"))
      return fail("proxmox.password.username must be USER@REALM");
    auth = {
      username: pw["username"],
      password: secretFrom(pw, "passwordEnv", "passwordFile", "proxmox.password", fail, env),
    };
  } else return fail("proxmox needs exactly one of token and password");
  const s = doc["snippets"];
  if (!isRecord(s) || typeof s["storage"] !== "string" || typeof s["dir"] !== "string")
    return fail("snippets needs storage (the Proxmox storage id) and dir (where it is mounted here)");
  const num = (v: unknown, d: number, what: string): number => {
    if (v === undefined) return d;
    if (typeof v !== "number" || !(v > 0)) return fail(`${what} must be a number > 0`);
    return v;
  };
  return {
    proxmox: {
      url,
      ...(typeof p["caFile"] === "string" ? { caFile: p["caFile"] } : {}),
      auth,
      ...(p["timeoutMs"] !== undefined ? { timeoutMs: num(p["timeoutMs"], 30_000, "proxmox.timeoutMs") } : {}),
      taskTimeoutMs: num(p["taskTimeoutMs"], 300_000, "proxmox.taskTimeoutMs"),
      ...(p["taskPollMs"] !== undefined ? { taskPollMs: num(p["taskPollMs"], 1000, "proxmox.taskPollMs") } : {}),
    },
    snippets: { storage: s["storage"], dir: s["dir"] },
    restartBudgetPerNode: num(doc["restartBudgetPerNode"], 1, "restartBudgetPerNode"),
    shutdownTimeoutSeconds: num(doc["shutdownTimeoutSeconds"], 60, "shutdownTimeoutSeconds"),
    joinTokenTtlHours: num(doc["joinTokenTtlHours"], 24, "joinTokenTtlHours"),
  };
}
