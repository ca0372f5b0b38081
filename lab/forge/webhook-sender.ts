/**
 * Signed webhook deliveries as Gitea (deliver.go's header families: X-Gitea-*, X-Gogs-*, X-GitHub-*,
 * X-Hub-Signature(-256), X-Gitea-Signature bare hex) or GitHub (X-GitHub-*, X-Hub-Signature-256).
 */
import { createHmac, randomUUID } from "node:crypto";

export type SignatureMode = "good" | "bad" | "missing" | "empty";

export interface Delivery {
  readonly id: string;
  readonly event: string;
  readonly status: number;
  readonly body: string;
}

export function webhookHeaders(
  mode: "gitea" | "github",
  event: string,
  eventType: string,
  body: Uint8Array,
  secret: string,
  signature: SignatureMode,
  id: string,
): Record<string, string> {
  const good = createHmac("sha256", secret).update(body).digest("hex");
  const sha1 = createHmac("sha1", secret).update(body).digest("hex");
  const sig =
    signature === "good"
      ? good
      : signature === "bad"
        ? createHmac("sha256", "not-the-secret").update(body).digest("hex")
        : "";
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": mode === "gitea" ? "Go-http-client/1.1" : "GitHub-Hookshot/lab",
  };
  if (mode === "gitea") {
    Object.assign(headers, {
      "x-gitea-delivery": id,
      "x-gitea-event": event,
      "x-gitea-event-type": eventType,
      "x-gogs-delivery": id,
      "x-gogs-event": event,
      "x-gogs-event-type": eventType,
      "x-github-delivery": id,
      "x-github-event": event,
      "x-github-event-type": eventType,
    });
    if (signature !== "missing") {
      headers["x-gitea-signature"] = sig;
      headers["x-gogs-signature"] = sig;
      headers["x-hub-signature"] = signature === "empty" ? "" : `sha1=${sha1}`;
      headers["x-hub-signature-256"] = signature === "empty" ? "" : `sha256=${sig}`;
    }
  } else {
    Object.assign(headers, { "x-github-delivery": id, "x-github-event": event, "x-github-hook-id": "1" });
    if (signature !== "missing") headers["x-hub-signature-256"] = signature === "empty" ? "" : `sha256=${sig}`;
  }
  return headers;
}

export async function deliver(
  url: string,
  headers: Record<string, string>,
  body: Uint8Array,
): Promise<{ status: number; text: string }> {
  try {
    const res = await fetch(url, { method: "POST", headers, body, signal: AbortSignal.timeout(30_000) });
    return { status: res.status, text: await res.text() };
  } catch (error) {
    return { status: 0, text: String(error) };
  }
}

export const newDeliveryId = (): string => randomUUID();
