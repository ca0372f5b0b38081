import { symlink } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitMirror } from "../../engine/git/mirror.ts";
import { FleetTreeReader } from "../../engine/git/read-files.ts";
import { GitSourceError } from "../../engine/git/errors.ts";
import { TrustedKeys, verifyCommitSignature } from "../../engine/git/verify-signature.ts";
import { createSigningKey, disposeSigningKey } from "../../lab/git-server/index.ts";
import { processesMentioning } from "../support/daemons.ts";
import { AUTH, configMap, startFixture, type Fixture } from "./helpers.ts";

let fx: Fixture;
let mirror: GitMirror;

async function failure(p: Promise<unknown>): Promise<GitSourceError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(GitSourceError);
    const e = err as GitSourceError;
    const text = `${e.message} ${String((e.cause as Error | undefined)?.message)}`;
    expect(text).not.toContain(AUTH.password);
    return e;
  }
  throw new Error("expected a failure");
}

beforeAll(async () => {
  fx = await startFixture();
  mirror = await GitMirror.open({ gitdir: await fx.tmp("mirror"), url: fx.repoUrl, credentials: AUTH });
});
afterAll(async () => {
  await fx.dispose();
});

describe("GitMirror + FleetTreeReader against the real server", () => {
  it("resolves a branch, a tag and a commit SHA", async () => {
    const head = (await fx.wt.run(["rev-parse", "HEAD"])).trim();
    expect(await mirror.fetchRevision("main")).toMatchObject({
      kind: "branch",
      fullRef: "refs/heads/main",
      commit: head,
    });
    await fx.wt.run(["tag", "-a", "v1", "-m", "release 1"]);
    await fx.wt.run(["push", "--quiet", "origin", "v1"]);
    expect(await mirror.fetchRevision("v1")).toMatchObject({ kind: "tag", commit: head });
    const next = await fx.wt.commitAndPush("main", { "apps/n.yaml": configMap("n", "1") }, "n");
    const fresh = await GitMirror.open({ gitdir: await fx.tmp("sha"), url: fx.repoUrl, credentials: AUTH });
    expect(await fresh.fetchRevision(head)).toMatchObject({ kind: "commit", commit: head });
    expect(await fresh.fetchRevision(next)).toMatchObject({ kind: "commit", commit: next });
  });

  it("reads fleet files through git objects, passes symlinks with their link text, and reuses blobs", async () => {
    await fx.wt.write({ "shared/base.yaml": configMap("base", "1"), "README.md": "not fleet\n" });
    await symlink("../shared/base.yaml", join(fx.wt.dir, "apps", "link.yaml"));
    const sha = await fx.wt.commit("symlink");
    await fx.wt.push("main");
    const rev = await mirror.fetchRevision("main");
    expect(rev.commit).toBe(sha);
    const reader = new FleetTreeReader(mirror.gitdir, mirror.cache);
    const files = await reader.read(rev.commit);
    expect(files.map((f) => f.path).sort()).toEqual([
      "apps/a.yaml",
      "apps/link.yaml",
      "apps/n.yaml",
      "shared/base.yaml",
    ]);
    expect(files.find((f) => f.path === "apps/link.yaml")?.linkTarget).toBe("../shared/base.yaml");
    const changed = await fx.wt.commitAndPush("main", { "apps/n.yaml": configMap("n", "2") }, "change n");
    await mirror.fetchRevision("main");
    await reader.read(changed);
    // Only the changed blob is read; the untouched subtree (shared/) is not even walked.
    expect(reader.lastStats).toEqual({ treesRead: 2, blobsRead: 1, blobsReused: 3 });
  });

  it("names the failure: auth rejected, repo missing, ref deleted, server unreachable", async () => {
    const bad = await GitMirror.open({
      gitdir: await fx.tmp("bad"),
      url: fx.repoUrl,
      credentials: { username: AUTH.username, password: "wrong-password" },
    });
    expect((await failure(bad.fetchRevision("main"))).kind).toBe("auth");
    const missing = await GitMirror.open({
      gitdir: await fx.tmp("missing"),
      url: `${fx.server.url}/nope.git`,
      credentials: AUTH,
    });
    expect((await failure(missing.fetchRevision("main"))).kind).toBe("repo-missing");
    await fx.wt.commitAndPush("doomed", {}, "branch to delete");
    expect((await mirror.fetchRevision("doomed")).kind).toBe("branch");
    await fx.wt.run(["push", "--quiet", "origin", ":refs/heads/doomed"]);
    const gone = await failure(mirror.fetchRevision("doomed"));
    expect(gone.kind).toBe("ref-missing");
    expect(gone.message).toContain("doomed");
    await fx.server.stop();
    try {
      expect((await failure(mirror.fetchRevision("main"))).kind).toBe("unreachable");
    } finally {
      await fx.server.start();
    }
  });

  it("verifies signed commits against trusted keys", async () => {
    const signer = await createSigningKey();
    const stranger = await createSigningKey("Stranger", "stranger@lab.invalid");
    const trusted = await TrustedKeys.fromArmored([signer.publicKey]);
    const signed = await fx.wt.commitAndPush("main", { "apps/s.yaml": configMap("s", "1") }, "signed", signer);
    const foreign = await fx.wt.commitAndPush("main", { "apps/s.yaml": configMap("s", "2") }, "foreign", stranger);
    const unsigned = await fx.wt.commitAndPush("main", { "apps/s.yaml": configMap("s", "3") }, "unsigned");
    await mirror.fetchRevision(signed);
    await mirror.fetchRevision(foreign);
    await mirror.fetchRevision("main");
    expect(await verifyCommitSignature(mirror.gitdir, mirror.cache, signed, trusted)).toMatchObject({ ok: true });
    const f = await verifyCommitSignature(mirror.gitdir, mirror.cache, foreign, trusted);
    expect(f.ok).toBe(false);
    expect(!f.ok && f.reason).toMatch(/untrusted key/);
    const u = await verifyCommitSignature(mirror.gitdir, mirror.cache, unsigned, trusted);
    expect(!u.ok && u.reason).toMatch(/not signed/);
    for (const key of [signer, stranger]) {
      await disposeSigningKey(key);
      expect(processesMentioning(key.gnupgHome), "gpg daemons left behind").toEqual([]);
    }
  });
});
