/**
 * One HTTP(S) request over node:http/node:https (no fetch dispatcher needed for custom CAs and
 * client certificates). Returns the response stream; follows redirects when asked; honours an
 * AbortSignal and a connect/idle timeout.
 */
import http from "node:http";
import https from "node:https";
import { createSecureContext, type SecureContext } from "node:tls";
import type { IncomingMessage } from "node:http";

export interface TlsOptions {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  insecureSkipVerify?: boolean;
  /** Built once from ca/cert/key (see withSecureContext); used instead of them when set. */
  secureContext?: SecureContext;
}

/**
 * Parses ca/cert/key into one OpenSSL context for all connections of a client. Without it every
 * new TLS connection parses the CA and key again into its own context (native memory that
 * fragments the malloc heap: RSS that only grows on a long-running agent).
 */
export function withSecureContext(tls: TlsOptions): TlsOptions {
  if (tls.secureContext) return tls;
  return {
    ...tls,
    secureContext: createSecureContext({
      ...(tls.ca ? { ca: tls.ca } : {}),
      ...(tls.cert ? { cert: tls.cert } : {}),
      ...(tls.key ? { key: tls.key } : {}),
    }),
  };
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  signal?: AbortSignal;
  tls?: TlsOptions;
  /** Socket idle timeout in ms (default 30 s; 0 = none, for long watches). */
  timeoutMs?: number;
  /** Follow up to this many redirects (default 0). Authorization is dropped on a change of origin. */
  maxRedirects?: number;
  agent?: http.Agent;
}

export async function request(url: string | URL, opts: RequestOptions = {}): Promise<IncomingMessage> {
  let target = new URL(url);
  let headers = { ...(opts.headers ?? {}) };
  for (let hop = 0; ; hop++) {
    const res = await once(target, { ...opts, headers });
    const loc = res.headers.location;
    if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && loc && hop < (opts.maxRedirects ?? 0)) {
      res.resume();
      const next = new URL(loc, target);
      if (next.origin !== target.origin) {
        headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== "authorization"));
      }
      target = next;
      continue;
    }
    return res;
  }
}

function once(url: URL, opts: RequestOptions): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const isHttps = url.protocol === "https:";
    const mod = isHttps ? https : http;
    const tls = opts.tls ?? {};
    const req = mod.request(url, {
      method: opts.method ?? "GET",
      headers: {
        ...(opts.body !== undefined ? { "content-length": String(Buffer.byteLength(opts.body)) } : {}),
        ...opts.headers,
      },
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.agent ? { agent: opts.agent } : {}),
      ...(isHttps && tls.secureContext
        ? { secureContext: tls.secureContext, rejectUnauthorized: tls.insecureSkipVerify !== true }
        : {}),
      ...(isHttps && !tls.secureContext
        ? {
            ...(tls.ca ? { ca: tls.ca } : {}),
            ...(tls.cert ? { cert: tls.cert } : {}),
            ...(tls.key ? { key: tls.key } : {}),
            rejectUnauthorized: tls.insecureSkipVerify !== true,
          }
        : {}),
    });
    const timeout = opts.timeoutMs ?? 30_000;
    if (timeout > 0)
      req.setTimeout(timeout, () => req.destroy(new Error(`no answer from ${url.origin} within ${timeout} ms`)));
    req.once("response", resolve);
    req.once("error", reject);
    req.end(opts.body);
  });
}

export async function readBody(res: IncomingMessage, limit = 16 * 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > limit) throw new Error(`response larger than ${limit} bytes`);
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString("utf8");
}
