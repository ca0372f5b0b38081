/**
 * One HTTPS request to `…/api2/json<path>` with undici's fetch: TLS verified against the system CAs
 * or a CA file, a deadline per request joined with the caller's AbortSignal, the `{"data": …}`
 * envelope unwrapped and the error shapes turned into ProxmoxError. Credentials travel in headers
 * only and never reach an error or a log.
 */
import { setMaxListeners } from "node:events";
import { readFileSync } from "node:fs";
import { Agent, fetch } from "undici";
import { ProxmoxError } from "./errors.ts";
import { formBody, type Params } from "./params.ts";

export interface TransportOptions {
  /** `https://host:8006` (a trailing `/api2/json` is accepted). */
  readonly url: string;
  /** PEM CA bundle that signs the server (default: the system CAs). */
  readonly caFile?: string;
  readonly ca?: string;
  /** Per-request deadline (default 30 s). */
  readonly timeoutMs?: number;
  /** Names the server in errors (default the URL's host). */
  readonly name?: string;
  /** Most TLS connections kept to the server (default 16); more requests queue for them. */
  readonly connections?: number;
}

export type Method = "GET" | "POST" | "PUT" | "DELETE";

export interface RawResponse<T> {
  readonly data: T;
  readonly total?: number;
}

export class Transport {
  readonly base: string;
  readonly name: string;
  private readonly dispatcher: Agent;
  private readonly timeoutMs: number;

  constructor(options: TransportOptions) {
    this.base = options.url.replace(/\/+$/, "").replace(/\/api2\/json$/, "");
    const url = new URL(this.base);
    if (url.protocol !== "https:")
      throw new ProxmoxError(options.name ?? url.host, "-", "-", 0, `the URL must be https:// (got ${url.protocol})`, {
        code: "PROXMOX_CONFIG",
      });
    this.name = options.name ?? url.host;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    const ca = options.ca ?? (options.caFile ? readFileSync(options.caFile, "utf8") : undefined);
    this.dispatcher = new Agent({
      connect: { ...(ca ? { ca } : {}), rejectUnauthorized: true },
      keepAliveTimeout: 4_000,
      // Requests share a few kept-alive connections (no TLS handshake storm when many run at once).
      connections: options.connections ?? 16,
    });
  }

  /**
   * Sends the request; parameters go in the query for GET/DELETE and in a form body for POST/PUT.
   * Throws ProxmoxError (status 0 when nothing came back).
   */
  async request<T>(
    method: Method,
    path: string,
    params: Params,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<RawResponse<T>> {
    const query = method === "GET" || method === "DELETE" ? formBody(params) : "";
    const url = `${this.base}/api2/json${path}${query ? `?${query}` : ""}`;
    const body = method === "POST" || method === "PUT" ? formBody(params) : undefined;
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const joined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    // `bosun serve` sets the process-wide listener default to 0 (unlimited); undici's Request then reads
    // the signal's limit with events.getMaxListeners, which throws for 0. An explicit limit avoids it.
    setMaxListeners(1000, joined);
    let res;
    try {
      res = await fetch(url, {
        method,
        headers: {
          accept: "application/json",
          ...(body !== undefined ? { "content-type": "application/x-www-form-urlencoded" } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body } : {}),
        signal: joined,
        dispatcher: this.dispatcher,
      });
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      const why = timeout.aborted ? `timed out after ${this.timeoutMs} ms` : causeText(e);
      throw new ProxmoxError(this.name, method, path, 0, why, { cause: e });
    }
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      throw new ProxmoxError(this.name, method, path, 0, `answer cut off: ${causeText(e)}`, { cause: e });
    }
    const parsed = parseJson(text);
    if (!res.ok) {
      const message = typeof parsed?.["message"] === "string" ? parsed["message"] : "";
      const errors = isStringMap(parsed?.["errors"]) ? parsed["errors"] : undefined;
      throw new ProxmoxError(this.name, method, path, res.status, message.trim() || res.statusText, {
        ...(errors ? { errors } : {}),
      });
    }
    if (!parsed || !("data" in parsed))
      throw new ProxmoxError(this.name, method, path, res.status, 'answer is not a {"data": …} envelope', {
        code: "PROXMOX_GARBAGE",
      });
    return { data: parsed["data"] as T, ...(typeof parsed["total"] === "number" ? { total: parsed["total"] } : {}) };
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

function parseJson(text: string): Record<string, unknown> | undefined {
  if (!text) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function isStringMap(v: unknown): v is Record<string, string> {
  return !!v && typeof v === "object" && Object.values(v).every((x) => typeof x === "string");
}

function causeText(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${cause.code}${cause.message ? `: ${cause.message}` : ""}`;
  return e instanceof Error ? e.message : String(e);
}
