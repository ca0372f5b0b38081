import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReconcileLoop } from "../../engine/loop/loop.ts";
import { signGitea, signGithub } from "../../engine/loop/webhook-signature.ts";
import { AUTH, captureLogger, configMap, RecordingConsumer, startFixture, waitFor, type Fixture } from "./helpers.ts";

// Polling is off: only the webhook (and the start pass) can cause a fetch.
let fx: Fixture;
let loop: ReconcileLoop;
const consumer = new RecordingConsumer();
const SECRET = "hook-secret-4f2b";
const log = captureLogger();

beforeAll(async () => {
  fx = await startFixture();
  process.env["BOSUN_IT_HOOK_TOKEN"] = AUTH.password;
  process.env["BOSUN_IT_HOOK_USER"] = AUTH.username;
  // The secret comes from a file (as a mounted Secret would), with the trailing newline `echo` leaves.
  const secretFile = join(await fx.tmp("hook-secret"), "secret");
  await writeFile(secretFile, `${SECRET}\n`);
  loop = new ReconcileLoop({
    config: {
      repo: {
        url: fx.repoUrl,
        mirrorDir: await fx.tmp("mirror"),
        credentials: { kind: "env", usernameVar: "BOSUN_IT_HOOK_USER", tokenVar: "BOSUN_IT_HOOK_TOKEN" },
      },
      poll: { intervalMs: 0 },
      webhook: { port: 0, secretFile },
    },
    consumer,
    logger: log.logger,
  });
  await loop.start();
  await waitFor(() => consumer.calls.length >= 1, "start pass applied");
  await loop.idle();
});

afterAll(async () => {
  await loop.stop();
  await fx.dispose();
});

describe("push webhook", () => {
  it("answers 401 to a wrong or missing signature and does not fetch", async () => {
    const sha = await fx.wt.commitAndPush("main", { "apps/x.yaml": configMap("x", "1") }, "add x");
    const body = JSON.stringify({ ref: "refs/heads/main", after: sha });
    const requests = fx.server.requests;
    const passes = loop.state.passes;
    const wrong = await fetch(loop.webhookUrl!, {
      method: "POST",
      body,
      headers: { "x-github-event": "push", "x-hub-signature-256": signGithub(body, "not-the-secret") },
    });
    const giteaWrong = await fetch(loop.webhookUrl!, {
      method: "POST",
      body,
      headers: { "x-gitea-event": "push", "x-gitea-signature": signGitea(body + " ", SECRET) },
    });
    const missing = await fetch(loop.webhookUrl!, { method: "POST", body, headers: { "x-gitea-event": "push" } });
    expect([wrong.status, giteaWrong.status, missing.status]).toEqual([401, 401, 401]);
    await loop.idle();
    expect(loop.state.passes).toBe(passes);
    expect(fx.server.requests).toBe(requests);
    expect(consumer.commits).not.toContain(sha);
  });

  it("ignores a correctly signed push to another branch", async () => {
    const body = JSON.stringify({ ref: "refs/heads/feature" });
    const passes = loop.state.passes;
    const res = await fetch(loop.webhookUrl!, {
      method: "POST",
      body,
      headers: { "x-github-event": "push", "x-hub-signature-256": signGithub(body, SECRET) },
    });
    expect(res.status).toBe(200);
    await loop.idle();
    expect(loop.state.passes).toBe(passes);
  });

  it("a signed GitHub push triggers a pass that applies the commit within 1 s", async () => {
    const sha = await fx.wt.commitAndPush("main", { "apps/y.yaml": configMap("y", "2") }, "add y");
    const body = JSON.stringify({ ref: "refs/heads/main", after: sha });
    const started = performance.now();
    const res = await fetch(loop.webhookUrl!, {
      method: "POST",
      body,
      headers: { "x-github-event": "push", "x-hub-signature-256": signGithub(body, SECRET) },
    });
    expect(res.status).toBe(202);
    await waitFor(() => consumer.commits.includes(sha), "webhook pass applied", 10_000);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("a signed Gitea push triggers a pass; a burst of pushes coalesces", async () => {
    await loop.idle();
    const sha = await fx.wt.commitAndPush("main", { "apps/z.yaml": configMap("z", "3") }, "add z");
    const body = JSON.stringify({ ref: "refs/heads/main", after: sha });
    const passes = loop.state.passes;
    const sends = Array.from({ length: 8 }, () =>
      fetch(loop.webhookUrl!, {
        method: "POST",
        body,
        headers: { "x-gitea-event": "push", "x-gitea-signature": signGitea(body, SECRET) },
      }),
    );
    const statuses = (await Promise.all(sends)).map((r) => r.status);
    expect(statuses.every((s) => s === 202)).toBe(true);
    await waitFor(() => consumer.commits.includes(sha), "gitea pass applied", 10_000);
    await loop.idle();
    // 8 triggers: one pass (maybe already running) plus at most one coalesced follow-up.
    expect(loop.state.passes - passes).toBeGreaterThanOrEqual(1);
    expect(loop.state.passes - passes).toBeLessThanOrEqual(2);
  });

  it("never logs the webhook secret", () => {
    expect(log.lines.length).toBeGreaterThan(0);
    expect(log.lines.join("\n")).not.toContain(SECRET);
  });
});
