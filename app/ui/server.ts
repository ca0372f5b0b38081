/**
 * The dashboard's HTTP side, mounted on the engine's listener: `/ui` (the browser app, built into
 * the package), `/api/*` (a JSON twin of every page, paged and aggregated on the server) and
 * `/api/stream` (server-sent events: one stream per browser, coalesced). Read-only: only GET
 * and HEAD, plus POST /ui/login to trade a token for a cookie.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { UiSettings } from "./config.ts";
import type { FleetQuery, UiReadModel } from "./read-model.ts";
import { uiAssets, type UiAssets } from "./assets.ts";

/** Kubernetes-style Events of one object (newest first), when the engine can read them. */
export type EventsReader = (ref: {
  kind: string;
  namespace: string;
  name: string;
}) => Promise<readonly { type: string; reason: string; message: string; count: number; lastSeen: string }[]>;

/** The object's status file on the status branch, when the engine can read it. */
export type StatusFileReader = (ref: { kind: string; namespace: string; name: string }) => Promise<string | undefined>;

export interface UiServerOptions {
  readonly model: UiReadModel;
  readonly settings: UiSettings;
  readonly events?: EventsReader;
  readonly statusFile?: StatusFileReader;
  /** Least time between two SSE messages to one browser (default 500 ms). */
  readonly coalesceMs?: number;
  /** SSE keep-alive and stale check period (default 5 s). */
  readonly heartbeatMs?: number;
}

const COOKIE = "bosun_ui_token";
/** Only the dashboard's own files; no inline script or style attribute (the app sets sizes through the CSSOM). */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cache-control": "no-store",
};

function digestOf(v: string): Buffer {
  return createHash("sha256").update(v).digest();
}

function cookieOf(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** `_` stands for the empty namespace of a cluster-scoped object in URLs. */
const nsOf = (segment: string): string => (segment === "_" ? "" : segment);

export class UiServer {
  private readonly model: UiReadModel;
  private readonly settings: UiSettings;
  private readonly assets: UiAssets;
  private readonly streams = new Set<ServerResponse>();
  private readonly tokenDigest: Buffer | undefined;

  constructor(private readonly options: UiServerOptions) {
    this.model = options.model;
    this.settings = options.settings;
    this.assets = uiAssets();
    this.tokenDigest = options.settings.token !== undefined ? digestOf(options.settings.token) : undefined;
    if (options.settings.token !== undefined) this.model.secrets.add(options.settings.token);
  }

  /** Whether this handler serves `path` (else the engine's own endpoints or 404). */
  handles(path: string): boolean {
    return (
      this.settings.enabled &&
      (path === "/ui" || path.startsWith("/ui/") || path === "/api" || path.startsWith("/api/"))
    );
  }

  /** Closes every open event stream (the engine is stopping). */
  close(): void {
    for (const res of this.streams) res.end();
    this.streams.clear();
  }

  /** Who the request is, or undefined when it may not see anything. */
  private identity(req: IncomingMessage): string | undefined {
    const header = this.settings.trustedProxyHeader;
    if (header !== undefined) {
      const v = req.headers[header];
      const user = Array.isArray(v) ? v[0] : v;
      if (user) return user;
    }
    if (this.tokenDigest) {
      const auth = req.headers.authorization;
      const bearer = auth?.startsWith("Bearer ") ? auth.slice(7).trim() : undefined;
      const given = bearer ?? cookieOf(req, COOKIE);
      if (given !== undefined && timingSafeEqual(digestOf(given), this.tokenDigest)) return "token";
      return undefined;
    }
    // A proxy header is configured and absent: the request did not come through the proxy.
    if (header !== undefined) return undefined;
    return "anonymous";
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    this.route(req, res).catch((error: unknown) => {
      if (!res.headersSent) this.json(res, 500, { error: error instanceof Error ? error.message : String(error) });
      else res.end();
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname;
    const method = req.method ?? "GET";
    if (path === "/ui/login" && method === "POST") return this.login(req, res);
    if (method !== "GET" && method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", ...SECURITY_HEADERS });
      res.end();
      return;
    }
    if (path.startsWith("/ui/assets/")) return this.asset(path.slice("/ui/assets/".length), res);
    const who = this.identity(req);
    if (who === undefined) return this.unauthorized(path, res);
    if (path === "/ui" || path.startsWith("/ui/")) return this.page(res);
    return this.api(path.slice("/api".length) || "/", url.searchParams, req, res, who);
  }

  private unauthorized(path: string, res: ServerResponse): void {
    if (path.startsWith("/api")) {
      this.json(
        res,
        401,
        { error: "unauthorized: send Authorization: Bearer <token>" },
        { "www-authenticate": "Bearer" },
      );
      return;
    }
    const proxy = this.settings.trustedProxyHeader;
    const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bosun: sign in</title>
<link rel="stylesheet" href="/ui/assets/app.css"></head><body><main class="login">
<h1>Bosun</h1>${
      this.tokenDigest
        ? `<form method="post" action="/ui/login"><label for="token">Access token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form>`
        : `<p>Sign in through the reverse proxy (${proxy ?? "identity header"}).</p>`
    }</main></body></html>`;
    res.writeHead(401, {
      "content-type": "text/html; charset=utf-8",
      "www-authenticate": "Bearer",
      "content-security-policy": CSP,
      ...SECURITY_HEADERS,
    });
    res.end(body);
  }

  private async login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = "";
    for await (const chunk of req) {
      body += String(chunk);
      if (body.length > 4096) break;
    }
    const token = new URLSearchParams(body).get("token") ?? "";
    if (!this.tokenDigest || !timingSafeEqual(digestOf(token), this.tokenDigest)) {
      res.writeHead(303, { location: "/ui", ...SECURITY_HEADERS });
      res.end();
      return;
    }
    res.writeHead(303, {
      location: "/ui",
      "set-cookie": `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
      ...SECURITY_HEADERS,
    });
    res.end();
  }

  private asset(name: string, res: ServerResponse): void {
    const asset = this.assets.get(name);
    if (!asset) {
      res.writeHead(404, SECURITY_HEADERS);
      res.end();
      return;
    }
    res.writeHead(200, { "content-type": asset.type, ...SECURITY_HEADERS, "cache-control": "no-cache" });
    res.end(asset.body);
  }

  private page(res: ServerResponse): void {
    const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Bosun</title><link rel="stylesheet" href="/ui/assets/app.css"></head>
<body><div id="app"></div><script type="module" src="/ui/assets/app.js"></script></body></html>`;
    res.writeHead(200, {
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": CSP,
      ...SECURITY_HEADERS,
    });
    res.end(html);
  }

  private json(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
    const text = this.model.secrets.scrub(JSON.stringify(value));
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...SECURITY_HEADERS, ...headers });
    res.end(text);
  }

  private async api(
    path: string,
    params: URLSearchParams,
    req: IncomingMessage,
    res: ServerResponse,
    who: string,
  ): Promise<void> {
    const m = this.model;
    const num = (name: string): number | undefined => {
      const v = params.get(name);
      return v === null || v === "" || !Number.isFinite(Number(v)) ? undefined : Number(v);
    };
    const parts = path
      .split("/")
      .filter((p) => p !== "")
      .map(decodeURIComponent);
    switch (parts[0]) {
      case undefined:
        return this.json(res, 200, {
          endpoints: [
            "/api/summary",
            "/api/fleet",
            "/api/rollouts",
            "/api/drift",
            "/api/history",
            "/api/objects/KIND/NS/NAME",
            "/api/stream",
          ],
        });
      case "summary":
        return this.json(res, 200, { ...m.summary(), user: who });
      case "fleet": {
        const query: FleetQuery = {
          ...(params.get("backend") ? { backend: params.get("backend")! } : {}),
          ...(params.get("kind") ? { kind: params.get("kind")! } : {}),
          ...(params.get("phase") ? { phase: params.get("phase")! } : {}),
          ...(params.get("q") ? { q: params.get("q")! } : {}),
          ...(num("offset") !== undefined ? { offset: num("offset")! } : {}),
          ...(num("limit") !== undefined ? { limit: num("limit")! } : {}),
        };
        return this.json(res, 200, m.fleet(query));
      }
      case "rollouts":
        if (parts.length === 4) {
          const r = m
            .rolloutList()
            .find((x) => x.kind === parts[1] && x.namespace === nsOf(parts[2]!) && x.name === parts[3]);
          return r ? this.json(res, 200, r) : this.json(res, 404, { error: "no such rollout" });
        }
        return this.json(res, 200, { items: m.rolloutList() });
      case "drift":
        return this.json(res, 200, m.driftList(num("offset") ?? 0, num("limit") ?? 500));
      case "history":
        return this.json(res, 200, m.history(num("offset") ?? 0, num("limit") ?? 100));
      case "objects": {
        if (parts.length !== 4)
          return this.json(res, 404, { error: "use /api/objects/KIND/NAMESPACE/NAME (_ for none)" });
        const ref = { kind: parts[1]!, namespace: nsOf(parts[2]!), name: parts[3]! };
        const view = m.object(ref.kind, ref.namespace, ref.name);
        if (!view)
          return this.json(res, 404, { error: `${ref.kind} ${ref.namespace}/${ref.name} is not in the fleet` });
        const [events, statusFile] = await Promise.all([
          this.options
            .events?.(ref)
            .catch((e: unknown) => [
              {
                type: "Warning",
                reason: "Unavailable",
                message: `events cannot be read: ${String(e)}`,
                count: 1,
                lastSeen: "",
              },
            ]),
          this.options.statusFile?.(ref).catch(() => undefined),
        ]);
        return this.json(res, 200, {
          ...view,
          events: events ?? [],
          ...(statusFile !== undefined ? { statusFile } : {}),
        });
      }
      case "stream":
        return this.stream(req, res);
      default:
        return this.json(res, 404, { error: `no API ${path}` });
    }
  }

  /** One SSE stream: `update` with the summary when something changed (at most every coalesceMs), and a heartbeat. */
  private stream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      connection: "keep-alive",
      ...SECURITY_HEADERS,
    });
    const coalesceMs = this.options.coalesceMs ?? 500;
    const send = (): void => {
      sentSeq = this.model.seq;
      lastSent = Date.now();
      const summary = this.model.summary();
      lastStale = summary.engine.stale;
      res.write(`id: ${summary.seq}\nevent: update\ndata: ${this.model.secrets.scrub(JSON.stringify(summary))}\n\n`);
    };
    let sentSeq = -1;
    let lastSent = 0;
    let timer: NodeJS.Timeout | undefined;
    let lastStale: boolean | undefined;
    const schedule = (): void => {
      if (timer) return;
      const wait = Math.max(0, lastSent + coalesceMs - Date.now());
      timer = setTimeout(() => {
        timer = undefined;
        if (this.model.seq !== sentSeq) send();
      }, wait);
    };
    const unsubscribe = this.model.subscribe(schedule);
    const heartbeat = setInterval(() => {
      const stale = this.model.engine().stale;
      if (stale !== lastStale) {
        lastStale = stale;
        send();
      } else res.write(`: keep-alive\n\n`);
    }, this.options.heartbeatMs ?? 5000);
    heartbeat.unref();
    this.streams.add(res);
    send();
    const done = (): void => {
      unsubscribe();
      clearInterval(heartbeat);
      if (timer) clearTimeout(timer);
      this.streams.delete(res);
    };
    req.on("close", done);
    res.on("close", done);
  }
}
