/**
 * The webhook endpoint: verifies the signature first (401 and nothing else on a bad one), then
 * answers 202 and triggers a pass for pushes to the tracked ref; other refs get 200 "ignored".
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../log/logger.ts";
import { parseWebhookEvent, pushConcerns, verifyWebhookSignature } from "./webhook-signature.ts";

export interface WebhookOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** 0 = any free port. */
  readonly port: number;
  /** Default `/hooks/git`. */
  readonly path?: string;
  readonly secret: string;
  /** Tracked ref (branch/tag name) to filter pushes. */
  readonly ref: string;
  readonly maxBodyBytes?: number;
}

export interface WebhookServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function startWebhookServer(
  options: WebhookOptions,
  onPush: (ref: string) => void,
  logger: Logger,
): Promise<WebhookServer> {
  const path = options.path ?? "/hooks/git";
  const max = options.maxBodyBytes ?? 1024 * 1024;
  const server: Server = createServer((req, res) => {
    const reply = (status: number, text: string): void => {
      res.writeHead(status, { "content-type": "text/plain" });
      res.end(`${text}\n`);
    };
    if (req.method !== "POST" || new URL(req.url ?? "/", "http://x").pathname !== path) return reply(404, "not found");
    readBody(req, max).then(
      (body) => {
        if (!body) return reply(413, "payload too large");
        if (!verifyWebhookSignature(req.headers, body, options.secret)) {
          logger.warn({ remote: req.socket.remoteAddress }, "webhook: missing or bad signature, rejected");
          return reply(401, "bad signature");
        }
        const event = parseWebhookEvent(req.headers, body);
        if (event.type === "ping") return reply(200, "pong");
        if (event.type !== "push") return reply(200, `ignored event ${event.name}`);
        if (!pushConcerns(event.ref, options.ref)) return reply(200, `ignored push to ${event.ref}`);
        reply(202, "pass triggered");
        onPush(event.ref);
      },
      () => reply(400, "bad request"),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "127.0.0.1", () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${addr.address}:${addr.port}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function readBody(req: IncomingMessage, max: number): Promise<Uint8Array | undefined> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on("data", (b: Buffer) => {
      size += b.length;
      if (size > max) tooBig = true;
      else parts.push(b);
    });
    req.on("end", () => resolve(tooBig ? undefined : Buffer.concat(parts)));
    req.on("error", reject);
  });
}
