import { mkdtemp, rm, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBareRepo, git, startGitServer, WorkTree, type GitServer } from "../../lab/git-server/index.ts";

const auth = { username: "fleet", password: "s3cret-lab-pass" };
let root: string;
let server: GitServer;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "bosun-gs-"));
  server = await startGitServer({ root, auth });
  await createBareRepo(root, "fleet");
});
afterAll(async () => {
  await server.stop();
  await rm(root, { recursive: true, force: true });
});

describe("lab git server (git http-backend behind Node)", () => {
  it("answers 401 with WWW-Authenticate without credentials", async () => {
    const res = await fetch(`${server.url}/fleet.git/info/refs?service=git-upload-pack`);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Basic /);
  });

  it("rejects a wrong password for native git", async () => {
    await expect(
      git(["ls-remote", `${server.url}/fleet.git`], { auth: { ...auth, password: "nope" } }),
    ).rejects.toThrow(/Authentication failed|could not read Username/);
  });

  it("accepts a push and serves it back, and keeps its port across stop/start", async () => {
    const wt = await WorkTree.open(`${server.url}/fleet.git`, auth);
    const sha = await wt.commitAndPush("main", { "a.yaml": "x: 1\n" }, "first");
    const refs = await git(["ls-remote", `${server.url}/fleet.git`], { auth });
    expect(refs).toContain(`${sha}\trefs/heads/main`);
    const port = server.port;
    await server.stop();
    await expect(fetch(`${server.url}/fleet.git/info/refs?service=git-upload-pack`)).rejects.toThrow();
    await server.start();
    expect(server.port).toBe(port);
    const clone = await WorkTree.open(`${server.url}/fleet.git`, auth);
    expect(await readFile(join(clone.dir, "a.yaml"), "utf8")).toBe("x: 1\n");
    await wt.dispose();
    await clone.dispose();
  });
});
