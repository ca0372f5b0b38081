/**
 * A real Git smart-HTTP server for tests, benchmarks and the demo: Debian's `git http-backend`
 * (CGI) behind a small Node HTTP server on 127.0.0.1. Serves every bare repo below `root`,
 * push included (REMOTE_USER is set, which lets receive-pack through), optional Basic auth.
 */
import { spawn } from "node:child_process";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { timingSafeEqual } from "node:crypto";

export const GIT_HTTP_BACKEND = process.env["BOSUN_GIT_HTTP_BACKEND"] ?? "/usr/lib/git-core/git-http-backend";

export interface GitServerAuth {
  readonly username: string;
  readonly password: string;
}

export interface GitServerOptions {
  /** Folder holding bare repos: `<root>/<name>.git` is served at `<url>/<name>.git`. */
  readonly root: string;
  readonly auth?: GitServerAuth;
  /** 0 (default) picks a free port; the chosen one is kept across stop()/start(). */
  readonly port?: number;
}

export interface GitServer {
  /** `http://127.0.0.1:<port>` — no trailing slash, no credentials. */
  readonly url: string;
  readonly port: number;
  readonly root: string;
  /** Number of requests served so far (tests use it to prove "no fetch happened"). */
  readonly requests: number;
  /** Closes the listener and every open connection. Idempotent. */
  stop(): Promise<void>;
  /** Listens again on the same port after stop() ("server came back"). */
  start(): Promise<void>;
}

/** Starts the server; resolves once it listens. */
export async function startGitServer(options: GitServerOptions): Promise<GitServer> {
  let port = options.port ?? 0;
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  let requests = 0;

  const listen = async (): Promise<void> => {
    const s = createServer((req, res) => {
      requests++;
      handle(req, res, options).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
        res.end(`git server error: ${err instanceof Error ? err.message : String(err)}\n`);
      });
    });
    s.on("connection", (socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => {
        s.off("error", reject);
        resolve();
      });
    });
    port = (s.address() as AddressInfo).port;
    server = s;
  };

  const stop = async (): Promise<void> => {
    const s = server;
    if (!s) return;
    server = undefined;
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await closed;
  };

  await listen();
  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    root: options.root,
    get requests() {
      return requests;
    },
    stop,
    start: async () => {
      if (!server) await listen();
    },
  };
}

function authorized(req: IncomingMessage, auth: GitServerAuth): boolean {
  const header = req.headers.authorization ?? "";
  const match = /^Basic\s+(.+)$/i.exec(header);
  if (!match?.[1]) return false;
  const given = Buffer.from(match[1], "base64");
  const expected = Buffer.from(`${auth.username}:${auth.password}`, "utf8");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function handle(req: IncomingMessage, res: ServerResponse, options: GitServerOptions): Promise<void> {
  if (options.auth && !authorized(req, options.auth)) {
    res.writeHead(401, { "www-authenticate": 'Basic realm="bosun-lab-git"', "content-type": "text/plain" });
    res.end("auth required\n");
    req.resume();
    return;
  }
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const env: NodeJS.ProcessEnv = {
    PATH: process.env["PATH"] ?? "/usr/bin:/bin",
    GIT_PROJECT_ROOT: options.root,
    GIT_HTTP_EXPORT_ALL: "1",
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.replace(/^\?/, ""),
    REQUEST_METHOD: req.method ?? "GET",
    CONTENT_TYPE: req.headers["content-type"] ?? "",
    REMOTE_USER: options.auth?.username ?? "anonymous",
    REMOTE_ADDR: req.socket.remoteAddress ?? "127.0.0.1",
    GIT_HTTP_MAX_REQUEST_BUFFER: "100M",
  };
  if (req.headers["content-length"] !== undefined) env["CONTENT_LENGTH"] = req.headers["content-length"];
  const encoding = req.headers["content-encoding"];
  if (encoding) env["HTTP_CONTENT_ENCODING"] = encoding;
  const protocol = req.headers["git-protocol"];
  if (typeof protocol === "string") env["GIT_PROTOCOL"] = protocol;

  const child = spawn(GIT_HTTP_BACKEND, [], { env, stdio: ["pipe", "pipe", "pipe"] });
  req.pipe(child.stdin);
  child.stdin.on("error", () => {});
  const stderr: Buffer[] = [];
  child.stderr.on("data", (b: Buffer) => stderr.push(b));
  res.on("close", () => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });

  let head = Buffer.alloc(0);
  let headersDone = false;
  child.stdout.on("data", (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = findHeaderEnd(head);
    if (!end) return;
    headersDone = true;
    const { status, headers } = parseCgiHeaders(head.subarray(0, end.index).toString("latin1"));
    res.writeHead(status, headers);
    const rest = head.subarray(end.index + end.length);
    if (rest.length > 0) res.write(rest);
  });
  await new Promise<void>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      if (!headersDone && !res.headersSent) {
        res.writeHead(500, { "content-type": "text/plain" });
        res.write(`git http-backend exited ${code}: ${Buffer.concat(stderr).toString("utf8")}`);
      }
      res.end();
      resolve();
    });
  });
}

function findHeaderEnd(buf: Buffer): { index: number; length: number } | undefined {
  const crlf = buf.indexOf("\r\n\r\n");
  const lf = buf.indexOf("\n\n");
  if (crlf >= 0 && (lf < 0 || crlf <= lf)) return { index: crlf, length: 4 };
  if (lf >= 0) return { index: lf, length: 2 };
  return undefined;
}

function parseCgiHeaders(text: string): { status: number; headers: Record<string, string> } {
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i <= 0) continue;
    const name = line.slice(0, i).trim();
    const value = line.slice(i + 1).trim();
    if (name.toLowerCase() === "status") status = Number.parseInt(value, 10) || 500;
    else headers[name] = value;
  }
  return { status, headers };
}
