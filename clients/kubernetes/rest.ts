import { Agent, request, type RequestOptions } from "node:https";
import { request as httpRequest, type IncomingMessage } from "node:http";
import type { KubeConfig } from "@kubernetes/client-node";
import { KubeApiError, type KubeStatus } from "./errors.ts";
import { TokenBucket, type RateLimitOptions } from "./rate-limit.ts";

export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

export interface RequestSpec {
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Absolute API path, e.g. `/apis/apps/v1/namespaces/ns/deployments`. */
  readonly path: string;
  readonly query?: Query;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly signal?: AbortSignal;
  /** Names the operation in errors, e.g. `apply Deployment ns/name`. */
  readonly subject?: string;
}

export interface RestOptions extends RateLimitOptions {
  readonly userAgent?: string;
  /**
   * Called before every write (POST, PUT, PATCH, DELETE) is sent, after the rate limiter: throwing
   * refuses the write (fencing: a replica that lost its Lease sends nothing).
   */
  readonly beforeWrite?: (subject: string) => void;
}

function queryString(q: Query | undefined): string {
  if (q === undefined) return "";
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) p.set(k, String(v));
  const s = p.toString();
  return s === "" ? "" : `?${s}`;
}

/**
 * The wire layer: one HTTPS request per call, authenticated and TLS-verified from the kubeconfig
 * (client-node's KubeConfig), every request (including watches) paying one token of the rate limiter.
 */
export class KubeRest {
  readonly server: string;
  readonly limiter: TokenBucket;
  private readonly kc: KubeConfig;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private readonly userAgent: string;
  private readonly beforeWrite: ((subject: string) => void) | undefined;

  constructor(kc: KubeConfig, opts: RestOptions = {}) {
    const cluster = kc.getCurrentCluster();
    if (cluster === null) throw new Error("kubeconfig has no current cluster");
    this.kc = kc;
    this.server = cluster.server.replace(/\/+$/, "");
    this.limiter = new TokenBucket(opts);
    this.userAgent = opts.userAgent ?? "bosun";
    this.beforeWrite = opts.beforeWrite;
  }

  private async open(spec: RequestSpec, accept: string): Promise<IncomingMessage> {
    const subject = spec.subject ?? `${spec.method} ${spec.path}`;
    await this.limiter.take(spec.signal);
    if (spec.method !== "GET") this.beforeWrite?.(subject);
    const url = new URL(`${this.server}${spec.path}${queryString(spec.query)}`);
    const opts: RequestOptions = { method: spec.method, headers: { accept, "user-agent": this.userAgent } };
    await this.kc.applyToHTTPSOptions(opts);
    const payload =
      spec.body === undefined ? undefined : typeof spec.body === "string" ? spec.body : JSON.stringify(spec.body);
    if (payload !== undefined) {
      opts.headers = {
        ...opts.headers,
        "content-type": spec.contentType ?? "application/json",
        "content-length": Buffer.byteLength(payload),
      };
    }
    return new Promise<IncomingMessage>((resolve, reject) => {
      const send = url.protocol === "https:" ? request : httpRequest;
      const req = send(
        url,
        {
          ...opts,
          ...(url.protocol === "https:" ? { agent: this.agent } : {}),
          ...(spec.signal ? { signal: spec.signal } : {}),
        },
        resolve,
      );
      req.on("error", (err) => {
        if (spec.signal?.aborted === true) reject(spec.signal.reason);
        else reject(new KubeApiError(subject, 0, "ConnectionFailed", err.message, { cause: err }));
      });
      req.end(payload);
    });
  }

  private static async readBody(res: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }

  private static failure(subject: string, code: number, body: string): KubeApiError {
    let status: KubeStatus | undefined;
    try {
      status = JSON.parse(body) as KubeStatus;
    } catch {
      status = undefined;
    }
    return KubeApiError.fromStatus(subject, code, status, body);
  }

  /** A JSON request; non-2xx answers become {@link KubeApiError}. */
  async request<T>(spec: RequestSpec): Promise<T> {
    const subject = spec.subject ?? `${spec.method} ${spec.path}`;
    const res = await this.open(spec, "application/json");
    let body: string;
    try {
      body = await KubeRest.readBody(res);
    } catch (err) {
      if (spec.signal?.aborted === true) throw spec.signal.reason;
      throw new KubeApiError(subject, 0, "ConnectionFailed", "response interrupted", { cause: err });
    }
    const code = res.statusCode ?? 0;
    if (code < 200 || code >= 300) throw KubeRest.failure(subject, code, body);
    try {
      return JSON.parse(body) as T;
    } catch (err) {
      throw new KubeApiError(subject, code, "InvalidResponse", "response is not JSON", { cause: err });
    }
  }

  /** A streaming GET (watch): resolves with the open response once headers say 200. */
  async stream(spec: Omit<RequestSpec, "method" | "body">): Promise<IncomingMessage> {
    const subject = spec.subject ?? `WATCH ${spec.path}`;
    const res = await this.open({ ...spec, method: "GET" }, "application/json");
    const code = res.statusCode ?? 0;
    if (code !== 200) throw KubeRest.failure(subject, code, await KubeRest.readBody(res).catch(() => ""));
    return res;
  }

  /** Closes pooled keep-alive sockets. */
  close(): void {
    this.agent.destroy();
  }
}
