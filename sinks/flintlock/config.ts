/**
 * The `backends.flintlock` section of the engine config: the Flintlock hosts, how to reach each
 * (TCP with TLS/mTLS, or a Unix socket) and its Basic-auth token (from an environment variable or
 * a file, never inline), their labels (for `hostSelector`) and what each offers to microVMs.
 *
 * ```yaml
 * backends:
 *   flintlock:
 *     timeoutMs: 10000
 *     hosts:
 *       - name: blade-a-01
 *         address: blade-a-01.lab:9090
 *         tls: { caFile: /etc/bosun/flintlock/ca.crt, certFile: client.crt, keyFile: client.key }
 *         basicAuth: { tokenEnv: FLINTLOCK_TOKEN_BLADE_A }
 *         labels: { pool: blade-a }
 *         capacity: { vcpu: 16, memoryMiB: 65536 }
 *       - name: blade-b-07
 *         address: unix:///run/flintlock/flintlock.sock
 *         capacity: { vcpu: 8, memoryMiB: 32768 }
 * ```
 */
import { BosunError } from "../../engine/index.ts";
import type { FlintlockEndpoint } from "../../clients/flintlock/index.ts";

export interface FlintlockHostConfig {
  readonly name: string;
  readonly endpoint: FlintlockEndpoint;
  readonly labels: Readonly<Record<string, string>>;
  readonly capacity: { readonly vcpu: number; readonly memoryMiB: number };
}

export interface FlintlockBackendConfig {
  readonly hosts: readonly FlintlockHostConfig[];
  /** Deadline of one call (default 10 s). */
  readonly timeoutMs?: number;
  /** How long a deleted microVM may take to be gone (default 60 s). */
  readonly deleteTimeoutMs?: number;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const SECRET_KEY = /^(token|password|secret|key|cert|ca)$/i;

/** Validates `backends.flintlock`; `subject` names the source in errors. */
export function parseFlintlockConfig(doc: unknown, subject: string): FlintlockBackendConfig {
  const fail = (message: string): never => {
    throw new BosunError(subject, `backends.flintlock.${message}`);
  };
  if (!isRecord(doc)) return fail("must be a mapping");
  const hostsDoc = doc["hosts"];
  if (!Array.isArray(hostsDoc) || hostsDoc.length === 0) return fail("hosts must list at least one host");
  const names = new Set<string>();
  const hosts = hostsDoc.map((h, i): FlintlockHostConfig => {
    const at = `hosts[${i}]`;
    if (!isRecord(h)) return fail(`${at} must be a mapping`);
    const name = h["name"];
    if (typeof name !== "string" || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name))
      return fail(`${at}.name must be a DNS name`);
    if (names.has(name)) return fail(`${at}.name ${name} is listed twice`);
    names.add(name);
    const address = h["address"];
    if (typeof address !== "string" || !(address.startsWith("unix:") || /^[^\s/]+:\d+$/.test(address)))
      return fail(`${at}.address must be host:port or unix:///path`);
    const capacity = h["capacity"];
    if (!isRecord(capacity) || !(Number(capacity["vcpu"]) > 0) || !(Number(capacity["memoryMiB"]) > 0))
      return fail(`${at}.capacity needs vcpu and memoryMiB > 0`);
    const labels = h["labels"] ?? {};
    if (!isRecord(labels) || Object.values(labels).some((v) => typeof v !== "string"))
      return fail(`${at}.labels must map strings to strings`);
    let tls: FlintlockEndpoint["tls"];
    if (h["tls"] !== undefined) {
      const t = h["tls"];
      if (!isRecord(t)) return fail(`${at}.tls must be a mapping`);
      for (const k of Object.keys(t))
        if (!["caFile", "certFile", "keyFile", "serverName"].includes(k))
          return fail(`${at}.tls.${k} is not allowed (files only: caFile, certFile, keyFile; and serverName)`);
      if ((t["certFile"] === undefined) !== (t["keyFile"] === undefined))
        return fail(`${at}.tls needs both certFile and keyFile for mTLS`);
      tls = t as FlintlockEndpoint["tls"];
    }
    let basicAuth: FlintlockEndpoint["basicAuth"];
    if (h["basicAuth"] !== undefined) {
      const b = h["basicAuth"];
      if (!isRecord(b)) return fail(`${at}.basicAuth must be a mapping`);
      const bad = Object.keys(b).find((k) => k !== "tokenEnv" && k !== "tokenFile");
      if (bad !== undefined)
        return fail(
          `${at}.basicAuth.${bad} is not allowed${SECRET_KEY.test(bad) ? ": never put a secret inline" : ""}; use tokenEnv or tokenFile`,
        );
      if ((b["tokenEnv"] === undefined) === (b["tokenFile"] === undefined))
        return fail(`${at}.basicAuth needs exactly one of tokenEnv and tokenFile`);
      basicAuth = b as FlintlockEndpoint["basicAuth"];
    }
    return {
      name,
      endpoint: { address, ...(tls ? { tls } : {}), ...(basicAuth ? { basicAuth } : {}) },
      labels: { ...(labels as Record<string, string>), "flintlock.bosun.dev/host": name },
      capacity: { vcpu: Number(capacity["vcpu"]), memoryMiB: Number(capacity["memoryMiB"]) },
    };
  });
  const timeoutMs = doc["timeoutMs"];
  const deleteTimeoutMs = doc["deleteTimeoutMs"];
  if (timeoutMs !== undefined && !(Number(timeoutMs) > 0)) fail("timeoutMs must be > 0");
  if (deleteTimeoutMs !== undefined && !(Number(deleteTimeoutMs) > 0)) fail("deleteTimeoutMs must be > 0");
  return {
    hosts,
    ...(timeoutMs !== undefined ? { timeoutMs: Number(timeoutMs) } : {}),
    ...(deleteTimeoutMs !== undefined ? { deleteTimeoutMs: Number(deleteTimeoutMs) } : {}),
  };
}
