/** Push-webhook signatures (Gitea, GitHub) and payload parsing. Pure. */
import { createHmac, timingSafeEqual } from "node:crypto";

export type WebhookHeaders = Readonly<Record<string, string | string[] | undefined>>;

function header(h: WebhookHeaders, name: string): string | undefined {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * True when the body carries a valid HMAC-SHA256 signature made with `secret`:
 * GitHub `X-Hub-Signature-256: sha256=<hex>` or Gitea `X-Gitea-Signature: <hex>`.
 */
export function verifyWebhookSignature(headers: WebhookHeaders, body: Uint8Array, secret: string): boolean {
  const github = header(headers, "x-hub-signature-256");
  const gitea = header(headers, "x-gitea-signature");
  let given: string | undefined;
  if (github !== undefined) given = github.startsWith("sha256=") ? github.slice("sha256=".length) : undefined;
  else if (gitea !== undefined) given = gitea;
  if (!given || !/^[0-9a-f]{64}$/i.test(given)) return false;
  const expected = createHmac("sha256", secret).update(body).digest();
  const actual = Buffer.from(given, "hex");
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export type WebhookEvent =
  | { readonly type: "push"; readonly ref: string }
  | { readonly type: "ping" }
  | { readonly type: "other"; readonly name: string };

/** Reads the event type from `X-GitHub-Event` / `X-Gitea-Event` and the pushed ref from the JSON body. */
export function parseWebhookEvent(headers: WebhookHeaders, body: Uint8Array): WebhookEvent {
  const name =
    header(headers, "x-github-event") ?? header(headers, "x-gitea-event") ?? header(headers, "x-gogs-event") ?? "push";
  if (name === "ping") return { type: "ping" };
  if (name !== "push") return { type: "other", name };
  try {
    const doc = JSON.parse(new TextDecoder().decode(body)) as { ref?: unknown };
    return { type: "push", ref: typeof doc.ref === "string" ? doc.ref : "" };
  } catch {
    return { type: "push", ref: "" };
  }
}

/** Does a push to `pushedRef` concern the tracked `ref` (branch name, full ref, tag or SHA)? */
export function pushConcerns(pushedRef: string, tracked: string): boolean {
  if (/^[0-9a-f]{40}$/.test(tracked)) return false;
  if (pushedRef === "") return true;
  return pushedRef === tracked || pushedRef === `refs/heads/${tracked}` || pushedRef === `refs/tags/${tracked}`;
}

/** Test and tooling helper: the GitHub-style header value for `body`. */
export function signGithub(body: Uint8Array | string, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** Test and tooling helper: the Gitea-style header value for `body`. */
export function signGitea(body: Uint8Array | string, secret: string): string {
  return createHmac("sha256", secret).update(body).digest("hex");
}
