/**
 * POST /hooks/forge: the forge's webhook. The body is capped (413 before reading more; the
 * engine's other endpoints are unaffected), the signature checked in constant time on the raw body
 * (401: nothing else happens), a replayed delivery id dropped (200, no pass), then PR and review
 * events queue their PR (202). Bodies are never logged.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { DeliveryLog, deliveryId, parsePullRequestEvent, verifySignature, type Logger } from "../../engine/index.ts";

export interface WebhookEndpointOptions {
  readonly secret: string;
  readonly maxBytes: number;
  readonly logger: Logger;
  /** A PR to plan (or to finish after its merge). */
  readonly enqueue: (number: number, reason: string) => void;
}

export interface WebhookStats {
  accepted: number;
  rejected: number;
  replayed: number;
  tooLarge: number;
  ignored: number;
}

export function webhookEndpoint(o: WebhookEndpointOptions): {
  handle(req: IncomingMessage, res: ServerResponse): void;
  readonly stats: WebhookStats;
} {
  const deliveries = new DeliveryLog();
  const stats: WebhookStats = { accepted: 0, rejected: 0, replayed: 0, tooLarge: 0, ignored: 0 };
  const reply = (res: ServerResponse, status: number, text: string): void => {
    if (res.headersSent) return;
    res.writeHead(status, { "content-type": "text/plain" });
    res.end(`${text}\n`);
  };
  return {
    stats,
    handle(req, res) {
      if (req.method !== "POST") return reply(res, 405, "POST only");
      const declared = Number(req.headers["content-length"] ?? 0);
      if (declared > o.maxBytes) {
        stats.tooLarge++;
        o.logger.warn({ bytes: declared, max: o.maxBytes }, "pr webhook: body too large, refused unread");
        reply(res, 413, "payload too large");
        discard(req);
        return;
      }
      const parts: Buffer[] = [];
      let size = 0;
      req.on("data", (b: Buffer) => {
        size += b.length;
        if (size > o.maxBytes) {
          if (res.headersSent) return;
          stats.tooLarge++;
          o.logger.warn({ max: o.maxBytes }, "pr webhook: body too large, refused");
          parts.length = 0;
          reply(res, 413, "payload too large");
          discard(req);
          return;
        }
        parts.push(b);
      });
      req.on("error", () => undefined);
      req.on("end", () => {
        if (size > o.maxBytes) return;
        const body = Buffer.concat(parts);
        if (!verifySignature(req.headers, body, o.secret)) {
          stats.rejected++;
          o.logger.warn({ remote: req.socket.remoteAddress }, "pr webhook: missing or bad signature, rejected");
          return reply(res, 401, "bad signature");
        }
        const id = deliveryId(req.headers);
        if (!id) {
          stats.rejected++;
          return reply(res, 400, "no delivery id (X-GitHub-Delivery / X-Gitea-Delivery)");
        }
        if (!deliveries.admit(id)) {
          stats.replayed++;
          o.logger.warn({ delivery: id }, "pr webhook: replayed delivery dropped");
          return reply(res, 200, "duplicate delivery ignored");
        }
        const event = parsePullRequestEvent(req.headers, body);
        if (event.type === "ping") return reply(res, 200, "pong");
        if (event.type === "ignored") {
          stats.ignored++;
          return reply(res, 200, `ignored: ${event.why}`);
        }
        stats.accepted++;
        o.logger.info(
          { delivery: id, pr: event.number, event: event.type, action: event.action },
          "pr webhook: queued",
        );
        reply(res, 202, `PR #${event.number} queued`);
        o.enqueue(event.number, `webhook ${event.type} ${event.action}`);
      });
    },
  };
}

/**
 * Drops the rest of a refused body without keeping it, so the sender can finish and read the 413
 * (cutting the socket mid-upload loses the answer); past 64 MiB the connection is cut after all.
 */
function discard(req: IncomingMessage): void {
  let dropped = 0;
  req.removeAllListeners("data");
  req.on("data", (b: Buffer) => {
    dropped += b.length;
    if (dropped > 64 * 1024 * 1024) req.destroy();
  });
  req.resume();
}
