/**
 * A small Kubernetes REST client over node:https: JSON requests, streaming GETs for watches,
 * bearer-token or client-certificate auth, swappable credentials (certificate rotation), and a
 * reachability signal (the agent reports when the API server comes back after a partition).
 */
import http from "node:http";
import https from "node:https";
import type { IncomingMessage } from "node:http";
import { KubeApiError, AgentError } from "../errors.ts";
import { readBody, request, withSecureContext, type TlsOptions } from "../net/request.ts";
import type { KubeConnectionConfig } from "./kubeconfig.ts";

export type Reachability = "reachable" | "unreachable";

export interface KubeStatusBody {
  kind?: string;
  code?: number;
  reason?: string;
  message?: string;
}

export class KubeClient {
  private server: string;
  private tls: TlsOptions;
  private token: string | undefined;
  private agent: http.Agent;
  private state: Reachability | undefined;
  private readonly listeners = new Set<(r: Reachability) => void>();

  constructor(cfg: KubeConnectionConfig) {
    this.server = cfg.server.replace(/\/$/, "");
    this.tls = withSecureContext(cfg.tls);
    this.token = cfg.token;
    this.agent = newAgent(this.server);
  }

  get serverUrl(): string {
    return this.server;
  }

  /** Swaps credentials (e.g. a renewed client certificate); later requests use them. */
  setCredentials(cfg: KubeConnectionConfig): void {
    this.server = cfg.server.replace(/\/$/, "");
    this.tls = withSecureContext(cfg.tls);
    this.token = cfg.token;
    this.agent.destroy();
    this.agent = newAgent(this.server);
  }

  onReachability(cb: (r: Reachability) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  get reachability(): Reachability | undefined {
    return this.state;
  }

  private mark(r: Reachability): void {
    if (this.state === r) return;
    this.state = r;
    for (const cb of this.listeners) cb(r);
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      accept: "application/json",
      "user-agent": "bosun-agent",
      ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      ...extra,
    };
  }

  /** Raw request; network failures mark the server unreachable and are rethrown. */
  async raw(
    method: string,
    path: string,
    opts: { body?: string; contentType?: string; signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<IncomingMessage> {
    try {
      const res = await request(`${this.server}${path}`, {
        method,
        headers: this.headers(opts.contentType ? { "content-type": opts.contentType } : {}),
        tls: this.tls,
        agent: this.agent,
        ...(opts.body !== undefined ? { body: opts.body } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      });
      this.mark("reachable");
      return res;
    } catch (err) {
      if (!opts.signal?.aborted) this.mark("unreachable");
      throw new AgentError(
        "KubeRequestFailed",
        `Kubernetes API ${this.server}`,
        `${method} ${path.split("?")[0] ?? path}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  /** JSON request; non-2xx answers throw KubeApiError with the API's reason. */
  async json<T>(
    method: string,
    path: string,
    body?: unknown,
    opts: { contentType?: string; signal?: AbortSignal } = {},
  ): Promise<T> {
    const res = await this.raw(method, path, {
      ...(body !== undefined
        ? { body: JSON.stringify(body), contentType: opts.contentType ?? "application/json" }
        : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const text = await readBody(res);
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      let st: KubeStatusBody = {};
      try {
        st = JSON.parse(text) as KubeStatusBody;
      } catch {
        /* not JSON */
      }
      throw new KubeApiError(
        `Kubernetes API ${method} ${path.split("?")[0] ?? path}`,
        status,
        st.reason ?? "",
        st.message ?? text.slice(0, 300),
      );
    }
    return (text ? JSON.parse(text) : {}) as T;
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Keep-alive sockets; plain http only for tests against a local fake server. */
function newAgent(server: string): http.Agent {
  return server.startsWith("http:")
    ? new http.Agent({ keepAlive: true, maxSockets: 4 })
    : new https.Agent({ keepAlive: true, maxSockets: 4 });
}

export function isStatus(err: unknown, ...codes: number[]): boolean {
  return err instanceof KubeApiError && codes.includes(err.status);
}
