import { describe, expect, it } from "vitest";
import { backoffDelay, jitteredInterval } from "./backoff.ts";
import { Coalescer } from "./coalesce.ts";
import { parseWebhookEvent, pushConcerns, signGitea, signGithub, verifyWebhookSignature } from "./webhook-signature.ts";

describe("backoff", () => {
  const p = { baseMs: 100, maxMs: 1_000, factor: 2, jitter: 0.2 };
  it("grows exponentially, is capped, and jitters within bounds", () => {
    expect([1, 2, 3, 4, 5, 9].map((a) => backoffDelay(a, p, 1))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    expect(backoffDelay(3, p, 0)).toBe(320);
    expect(backoffDelay(50_000, p, 0.5)).toBe(900);
  });
  it("jittered interval stays within ± jitter", () => {
    expect(jitteredInterval(1_000, 0.1, 0)).toBe(900);
    expect(jitteredInterval(1_000, 0.1, 1)).toBe(1_100);
    expect(jitteredInterval(1_000, 0, 0.7)).toBe(1_000);
  });
});

describe("Coalescer", () => {
  it("turns a burst of triggers during a pass into exactly one following pass", async () => {
    const runs: (readonly string[])[] = [];
    let release!: () => void;
    const c = new Coalescer(async (reasons) => {
      runs.push(reasons);
      if (runs.length === 1) await new Promise<void>((r) => (release = r));
    });
    c.trigger("a");
    await Promise.resolve();
    for (let i = 0; i < 10; i++) c.trigger(i % 2 ? "webhook" : "poll");
    release();
    await c.idle();
    expect(runs).toEqual([["a"], ["poll", "webhook"]]);
  });
  it("keeps going after a failing pass and stops accepting triggers after stop()", async () => {
    let n = 0;
    const c = new Coalescer(() => (++n === 1 ? Promise.reject(new Error("boom")) : Promise.resolve()));
    c.trigger("x");
    await c.idle();
    c.trigger("y");
    await c.idle();
    await c.stop();
    c.trigger("z");
    await c.idle();
    expect(n).toBe(2);
  });
});

describe("webhook signatures", () => {
  const body = new TextEncoder().encode('{"ref":"refs/heads/main"}');
  it("accepts GitHub and Gitea signatures made with the secret only", () => {
    expect(verifyWebhookSignature({ "x-hub-signature-256": signGithub(body, "s") }, body, "s")).toBe(true);
    expect(verifyWebhookSignature({ "x-gitea-signature": signGitea(body, "s") }, body, "s")).toBe(true);
    expect(verifyWebhookSignature({ "x-hub-signature-256": signGithub(body, "t") }, body, "s")).toBe(false);
    expect(verifyWebhookSignature({ "x-hub-signature-256": signGitea(body, "s") }, body, "s")).toBe(false);
    expect(verifyWebhookSignature({ "x-gitea-signature": "zz" }, body, "s")).toBe(false);
    expect(verifyWebhookSignature({}, body, "s")).toBe(false);
  });
  it("parses push events and filters refs", () => {
    expect(parseWebhookEvent({ "x-github-event": "push" }, body)).toEqual({ type: "push", ref: "refs/heads/main" });
    expect(parseWebhookEvent({ "x-github-event": "ping" }, body)).toEqual({ type: "ping" });
    expect(pushConcerns("refs/heads/main", "main")).toBe(true);
    expect(pushConcerns("refs/heads/mainline", "main")).toBe(false);
    expect(pushConcerns("refs/tags/v1", "v1")).toBe(true);
  });
});
