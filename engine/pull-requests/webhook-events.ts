/**
 * Pull-request webhooks of Gitea/Forgejo and GitHub: the signature (HMAC-SHA256 of the raw body,
 * compared in constant time), the delivery id, and the event. Pure.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export type Headers = Readonly<Record<string, string | string[] | undefined>>;

function header(h: Headers, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * True when the body is signed with `secret`: `X-Hub-Signature-256: sha256=<hex>`, or
 * `X-Gitea-Signature` / `X-Forgejo-Signature: <hex>`. Every signature header present must match
 * (Gitea sends several); none present, or an empty one, is a rejection. SHA-1 is ignored.
 */
export function verifySignature(headers: Headers, body: Uint8Array, secret: string): boolean {
  if (secret === "") return false;
  const given: string[] = [];
  const hub = header(headers, "x-hub-signature-256");
  if (hub !== undefined) given.push(hub.startsWith("sha256=") ? hub.slice(7) : "");
  for (const name of ["x-gitea-signature", "x-forgejo-signature"]) {
    const v = header(headers, name);
    if (v !== undefined) given.push(v);
  }
  if (given.length === 0) return false;
  const expected = createHmac("sha256", secret).update(body).digest();
  let ok = true;
  for (const g of given) {
    const actual = /^[0-9a-f]{64}$/i.test(g) ? Buffer.from(g, "hex") : Buffer.alloc(expected.length);
    // Always compare (same time for a malformed and a wrong signature), then fold in the format check.
    ok = timingSafeEqual(actual, expected) && /^[0-9a-f]{64}$/i.test(g) && ok;
  }
  return ok;
}

/** `X-GitHub-Delivery` / `X-Gitea-Delivery` / `X-Forgejo-Delivery`. */
export function deliveryId(headers: Headers): string | undefined {
  return (
    header(headers, "x-github-delivery") ?? header(headers, "x-gitea-delivery") ?? header(headers, "x-forgejo-delivery")
  );
}

export type PullRequestEvent =
  | {
      readonly type: "pull_request";
      readonly number: number;
      /** opened, synchronize (Gitea: synchronized), reopened, closed, edited … */
      readonly action: string;
      readonly headSha?: string;
      readonly merged: boolean;
    }
  | { readonly type: "review"; readonly number: number; readonly action: string }
  | { readonly type: "ping" }
  | { readonly type: "ignored"; readonly why: string };

const PLAN_ACTIONS = new Set(["opened", "synchronize", "synchronized", "reopened", "closed", "edited"]);

/** The event a delivery carries; pull_request and review events of a PR, the rest ignored. */
export function parsePullRequestEvent(headers: Headers, body: Uint8Array): PullRequestEvent {
  const name =
    header(headers, "x-github-event") ??
    header(headers, "x-forgejo-event") ??
    header(headers, "x-gitea-event") ??
    header(headers, "x-gogs-event");
  if (!name) return { type: "ignored", why: "no event header" };
  if (name === "ping") return { type: "ping" };
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(new TextDecoder().decode(body)) as Record<string, unknown>;
  } catch {
    return { type: "ignored", why: "body is not JSON" };
  }
  const pr = (doc["pull_request"] ?? {}) as Record<string, unknown>;
  const number =
    typeof doc["number"] === "number" ? doc["number"] : typeof pr["number"] === "number" ? pr["number"] : 0;
  const action = typeof doc["action"] === "string" ? doc["action"] : "";
  if (!Number.isInteger(number) || number <= 0) return { type: "ignored", why: `${name} without a PR number` };
  if (
    name === "pull_request_review" ||
    name === "pull_request_approved" ||
    name === "pull_request_rejected" ||
    (name === "pull_request" && action === "reviewed")
  )
    return { type: "review", number, action };
  if (name !== "pull_request") return { type: "ignored", why: `event ${name}` };
  if (!PLAN_ACTIONS.has(action)) return { type: "ignored", why: `pull_request ${action}` };
  const head = (pr["head"] ?? {}) as Record<string, unknown>;
  return {
    type: "pull_request",
    number,
    action,
    ...(typeof head["sha"] === "string" ? { headSha: head["sha"] } : {}),
    merged: pr["merged"] === true,
  };
}
