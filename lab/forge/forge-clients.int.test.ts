/**
 * The forge clients (Gitea fetch client, GitHub octokit client) against the lab forge in both
 * modes, over a real bare repo of the lab git server: the operations, pagination, the error policy
 * per status code (401/403/404/422/423/429/500), request bodies checked against the swagger
 * subset, and signed webhook deliveries verified by Bosun's signature check.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ForgeError } from "../../clients/forge/index.ts";
import { createForgeClient, type ForgeClient } from "../../clients/forge/index.ts";
import { verifySignature } from "../../engine/pull-requests/index.ts";
import { createBareRepo, git, startGitServer, WorkTree, type GitServer } from "../git-server/index.ts";
import { startLabForge, type LabForge } from "./index.ts";

const TOKENS = { bot: "bot-token-1f9c", alice: "alice-token-77aa", reader: "reader-token-0b0b" };

for (const mode of ["gitea", "github"] as const) {
  describe(`forge client on the lab forge (${mode} mode)`, () => {
    let gitRoot: string;
    let server: GitServer;
    let tree: WorkTree;
    let forge: LabForge;
    let bot: ForgeClient;
    let head: string;
    const client = (token: string, repo = "acme/fleet"): ForgeClient =>
      createForgeClient({ kind: mode, url: forge.clientUrl, repo, token });

    beforeAll(async () => {
      gitRoot = await mkdtemp(join(tmpdir(), "bosun-forge-git-"));
      server = await startGitServer({ root: gitRoot });
      const gitdir = await createBareRepo(gitRoot, "fleet");
      await createBareRepo(gitRoot, "secret");
      tree = await WorkTree.open(`${server.url}/fleet.git`);
      await tree.commitAndPush("main", { "README.md": "fleet\n" }, "init");
      await tree.run(["checkout", "-q", "-b", "bump"]);
      head = await tree.commitAndPush("bump", { "a.yaml": "a: 1\n" }, "bump");
      forge = await startLabForge({
        mode,
        users: [
          { login: "bosun-bot", token: TOKENS.bot, permission: "write" },
          { login: "alice", token: TOKENS.alice, permission: "write" },
          { login: "reader", token: TOKENS.reader, permission: "read" },
        ],
        repos: [
          { owner: "acme", name: "fleet", gitdir },
          { owner: "acme", name: "secret", gitdir: join(gitRoot, "secret.git"), private: true },
        ],
      });
      await forge.openPull("acme/fleet", { head: "bump", author: "carol" });
      bot = client(TOKENS.bot);
    });

    afterAll(async () => {
      await forge?.stop();
      await tree?.dispose();
      await server?.stop();
      if (gitRoot) await rm(gitRoot, { recursive: true, force: true });
    });

    it("reads the PR from refs/pull/1/head of the git server and the token's login", async () => {
      expect(await bot.whoami()).toBe("bosun-bot");
      const pr = await bot.getPull(1);
      expect(pr).toMatchObject({
        number: 1,
        state: "open",
        merged: false,
        headSha: head,
        headRef: "bump",
        baseRef: "main",
      });
      expect((await git(["--git-dir", join(gitRoot, "fleet.git"), "rev-parse", "refs/pull/1/head"])).trim()).toBe(head);
    });

    it("lists every comment past the first pages, edits and deletes its own, not others'", async () => {
      for (let i = 0; i < 250; i++) forge.addComment("acme/fleet", 1, "carol", `comment ${i}`);
      const mine = await bot.createComment(1, "<!-- marker --> hello");
      const all = await bot.listComments(1);
      expect(all).toHaveLength(251);
      expect(all.at(-1)).toMatchObject({ id: mine.id, user: "bosun-bot" });
      if (mode === "github")
        expect(forge.requests.filter((r) => r.method === "GET" && r.path.endsWith("/issues/1/comments"))).toHaveLength(
          3,
        );
      const edited = await bot.editComment(mine.id, "<!-- marker --> edited");
      expect(edited.body).toBe("<!-- marker --> edited");
      const other = all[0]!;
      await expect(bot.editComment(other.id, "mine now")).rejects.toMatchObject({ kind: "forbidden", status: 403 });
      await bot.deleteComment(mine.id);
      await bot.deleteComment(mine.id); // already gone: fine
      expect((await bot.listComments(1)).some((c) => c.id === mine.id)).toBe(false);
    });

    it("sets commit statuses; GitHub mode refuses a description over 140 characters with 422", async () => {
      await bot.createStatus(head, { state: "pending", context: "bosun/plan", description: "planning" });
      await bot.createStatus(head, {
        state: "success",
        context: "bosun/plan",
        description: "ok",
        targetUrl: "http://x/plan",
      });
      expect(forge.statuses("acme/fleet", head).map((s) => s.state)).toEqual(["pending", "success"]);
      const long = bot.createStatus(head, { state: "success", context: "bosun/plan", description: "x".repeat(141) });
      if (mode === "github") await expect(long).rejects.toMatchObject({ kind: "invalid", status: 422 });
      else await long;
    });

    it("checks request bodies against the swagger subset", async () => {
      const path = mode === "gitea" ? "/api/v1" : "";
      const res = await fetch(`${forge.url}${path}/repos/acme/fleet/statuses/${head}`, {
        method: "POST",
        headers: { authorization: `token ${TOKENS.bot}`, "content-type": "application/json" },
        body: JSON.stringify({ state: "bogus", context: 7 }),
      });
      expect(res.status).toBe(422);
      const missing = await fetch(`${forge.url}${path}/repos/acme/fleet/issues/1/comments`, {
        method: "POST",
        headers: { authorization: `token ${TOKENS.bot}`, "content-type": "application/json" },
        body: JSON.stringify({ text: "no body field" }),
      });
      expect(missing.status).toBe(422);
    });

    it("answers 401 to a bad token, 403 to a read-only one, 404 for a private repo without a token", async () => {
      await expect(client("wrong-token").whoami()).rejects.toMatchObject({ kind: "auth", status: 401 });
      await expect(client(TOKENS.reader).createComment(1, "hi")).rejects.toMatchObject({ kind: "forbidden" });
      const path = mode === "gitea" ? "/api/v1" : "";
      const res = await fetch(`${forge.url}${path}/repos/acme/secret/pulls/1`);
      expect(res.status).toBe(404);
      if (mode === "gitea")
        expect(await res.json()).toMatchObject({ message: "The target couldn't be found.", errors: [] });
      // The token never shows in an error.
      const e = await client(TOKENS.reader)
        .createComment(1, "hi")
        .catch((x: unknown) => x as ForgeError);
      expect(JSON.stringify(e) + String(e) + (e as Error).stack).not.toContain(TOKENS.reader);
    });

    it("retries 429 after Retry-After and 500 on an edit; a create is not retried blindly on 500", async () => {
      const c = await bot.createComment(1, "retry me");
      forge.inject({ method: "PATCH", path: /\/issues\/comments\/\d+$/, status: 429, retryAfter: "1" });
      forge.inject({ method: "PATCH", path: /\/issues\/comments\/\d+$/, status: 500 });
      const before = forge.requests.length;
      expect((await bot.editComment(c.id, "retried")).body).toBe("retried");
      expect(forge.requests.slice(before).map((r) => r.status)).toEqual([429, 500, 200]);
      forge.inject({ method: "POST", path: /\/issues\/1\/comments$/, status: 500 });
      await expect(bot.createComment(1, "once")).rejects.toMatchObject({ kind: "server", status: 500 });
      forge.inject({ method: "POST", path: /\/issues\/1\/comments$/, status: 429, retryAfter: "0" });
      expect((await bot.createComment(1, "after 429")).body).toBe("after 429");
      forge.inject({ method: "POST", path: /\/issues\/1\/comments$/, status: 423 });
      await expect(bot.createComment(1, "locked")).rejects.toMatchObject({ kind: "locked" });
      forge.inject({ method: "PATCH", path: /\/issues\/comments\/\d+$/, status: 409 });
      await expect(bot.editComment(c.id, "conflict")).rejects.toMatchObject({ kind: "conflict" });
    });

    it("records reviews with their commit; a signed webhook delivery verifies", async () => {
      const received: { headers: Record<string, string | string[] | undefined>; body: Buffer }[] = [];
      const hook = createServer((req, res) => {
        const parts: Buffer[] = [];
        req.on("data", (b: Buffer) => parts.push(b));
        req.on("end", () => {
          received.push({ headers: req.headers, body: Buffer.concat(parts) });
          res.writeHead(202).end();
        });
      });
      await new Promise<void>((r) => hook.listen(0, "127.0.0.1", () => r()));
      try {
        forge.setWebhook(`http://127.0.0.1:${(hook.address() as AddressInfo).port}/hooks/forge`, "s3cret");
        await client(TOKENS.alice).createReview(1, { event: "approve", body: "lgtm" });
        const reviews = await bot.listReviews(1);
        expect(reviews).toEqual([
          expect.objectContaining({ user: "alice", state: "approved", commitId: head, stale: false, dismissed: false }),
        ]);
        const d = await forge.send("pull_request", forge.pullPayload("acme/fleet", 1, "opened"));
        expect(d.status).toBe(202);
        const last = received.at(-1)!;
        expect(verifySignature(last.headers, last.body, "s3cret")).toBe(true);
        expect(verifySignature(last.headers, last.body, "other")).toBe(false);
        await forge.send("pull_request", {}, { signature: "bad" });
        expect(verifySignature(received.at(-1)!.headers, received.at(-1)!.body, "s3cret")).toBe(false);
      } finally {
        await new Promise<void>((r) => hook.close(() => r()));
      }
    });
  });
}
