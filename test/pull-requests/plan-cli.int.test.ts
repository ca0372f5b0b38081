/**
 * For CI jobs without the engine: `bosun plan --comment --status` (the real CLI, as a child
 * process) posts the plan comment and the commit status on a PR of the lab forge, then edits the
 * same comment on the next run; an invalid fleet gives the file:line comment and a failure
 * status. And the installed CLI (a package under node_modules, no sources, no tsx) runs the
 * built JavaScript.
 */
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseMarker } from "../../engine/pull-requests/index.ts";
import { installDeviceCrds } from "../../lab/devices/crds.ts";
import { startLabForge, type LabForge } from "../../lab/forge/index.ts";
import { createBareRepo, startGitServer, WorkTree, type GitServer } from "../../lab/git-server/index.ts";
import { deploymentYaml } from "../e2e/support.ts";
import { createTestNamespace, kubeClient, kubeConnection, type TestNamespace } from "../support/kube.ts";
import { bosunYaml, FORGE_USERS, REPO, TOKENS } from "./support.ts";

const run = promisify(execFile);
const root = join(import.meta.dirname, "../..");

async function bosun(
  args: string[],
  env: Record<string, string> = {},
  bin = join(root, "bin/bosun.mjs"),
  cwd = root,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [bin, ...args], { cwd, env: { ...process.env, ...env } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

describe("bosun plan --comment --status (gitea mode) and the installed CLI", () => {
  let dir: string;
  let server: GitServer;
  let tree: WorkTree;
  let forge: LabForge;
  let ns: TestNamespace;
  let forgeArgs: string[];

  beforeAll(async () => {
    const client = kubeClient();
    await installDeviceCrds(client);
    ns = await createTestNamespace(client, "prcli");
    client.close();
    dir = await mkdtemp(join(tmpdir(), "bosun-prcli-"));
    server = await startGitServer({ root: join(dir, "git") });
    const gitdir = await createBareRepo(join(dir, "git"), "fleet");
    tree = await WorkTree.open(`${server.url}/fleet.git`);
    await tree.commitAndPush(
      "main",
      { "bosun.yaml": bosunYaml(ns.name), "devices/switch-agent.yaml": deploymentYaml(ns.name, "v1.0.0") },
      "v1",
    );
    await tree.run(["checkout", "-q", "-b", "bump"]);
    await tree.commitAndPush("bump", { "devices/switch-agent.yaml": deploymentYaml(ns.name, "v2.0.0") }, "v2");
    forge = await startLabForge({
      mode: "gitea",
      users: FORGE_USERS,
      repos: [{ owner: "acme", name: "fleet", gitdir }],
    });
    await forge.openPull(REPO, { head: "bump", author: "carol" });
    await writeFile(join(dir, "token"), TOKENS.bot);
    forgeArgs = [
      "--comment",
      "--status",
      "--pr",
      "1",
      "--forge",
      "gitea",
      "--forge-url",
      forge.clientUrl,
      "--forge-repo",
      REPO,
      "--forge-token-file",
      join(dir, "token"),
      "--kubeconfig",
      kubeConnection().kubeconfigPath,
    ];
  });

  afterAll(async () => {
    await forge?.stop();
    await tree?.dispose();
    await server?.stop();
    await ns?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("posts the comment and the status on the PR head, then edits the same comment", async () => {
    const head = forge.pull(REPO, 1).headSha;
    const first = await bosun(["plan", tree.dir, ...forgeArgs]);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(2); // changes
    const [comment] = forge.comments(REPO, 1);
    const firstBody = comment!.body; // the lab edits its stored comment in place
    expect(parseMarker(comment!.body)).toMatchObject({ scope: "default", part: 1, parts: 1, head });
    expect(comment!.user).toBe("bosun-bot");
    expect(forge.statuses(REPO, head).map((s) => [s.state, s.context])).toEqual([["success", "bosun/plan"]]);
    await writeFile(join(tree.dir, "devices/switch-agent.yaml"), deploymentYaml(ns.name, "v2.0.1"));
    const second = await bosun(["plan", tree.dir, ...forgeArgs]);
    expect(second.code).toBe(2);
    expect(forge.comments(REPO, 1).map((c) => c.id)).toEqual([comment!.id]);
    expect(forge.comments(REPO, 1)[0]!.body).not.toBe(firstBody);
    expect(forge.requests.filter((r) => r.method === "POST" && r.path.endsWith("/comments"))).toHaveLength(1);
    expect(first.stdout + first.stderr + second.stdout + second.stderr).not.toContain(TOKENS.bot);
  });

  it("an invalid fleet: the comment lists file:line, the status fails, exit 1", async () => {
    await writeFile(
      join(tree.dir, "devices/broken.yaml"),
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\nmetadata:\n  name: y\n",
    );
    const r = await bosun(["plan", tree.dir, ...forgeArgs]);
    expect(r.code).toBe(1);
    const head = forge.pull(REPO, 1).headSha;
    expect(forge.statuses(REPO, head).at(-1)).toMatchObject({ state: "failure" });
    expect(forge.statuses(REPO, head).at(-1)!.description).toContain("devices/broken.yaml:5");
    expect(forge.comments(REPO, 1)).toHaveLength(1);
    expect(forge.comments(REPO, 1)[0]!.body).toContain("`devices/broken.yaml:5:1: DUPLICATE_KEY");
  });

  it("flags: --comment without the forge, a forge flag without --comment, a missing token are clear errors", async () => {
    const noForge = await bosun(["plan", tree.dir, "--comment"]);
    expect(noForge.code).toBe(2);
    expect(noForge.stderr).toContain("--comment/--status need --pr, --forge, --forge-url, --forge-repo");
    const stray = await bosun(["plan", tree.dir, "--pr", "1"]);
    expect(stray.stderr).toContain("--pr goes with --comment or --status");
    const args = forgeArgs.filter((a, i) => a !== "--forge-token-file" && forgeArgs[i - 1] !== "--forge-token-file");
    const noToken = await bosun(["plan", tree.dir, ...args], { BOSUN_FORGE_TOKEN: "" });
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toContain("forge token BOSUN_FORGE_TOKEN: is not set");
  });

  it("installed under node_modules (no sources, no tsx to resolve), the CLI runs dist/bosun.mjs", async () => {
    await run(process.execPath, [join(root, "bench/scale/build.mjs")], { cwd: root });
    const pkg = join(dir, "install", "node_modules", "bosun");
    await mkdir(pkg, { recursive: true });
    for (const part of ["bin", "dist", "package.json"])
      await cp(join(root, part), join(pkg, part), { recursive: true });
    const cwd = join(dir, "install");
    const ok = await bosun(["validate", join(root, "fleet-repo-example")], {}, join(pkg, "bin/bosun.mjs"), cwd);
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.stdout).toMatch(/valid, \d+ objects/);
    const help = await bosun(["plan", "--help"], {}, join(pkg, "bin/bosun.mjs"), cwd);
    expect(help.stdout).toContain("--comment");
    // The same copy forced onto the transpiler path fails: tsx is not there, so the run above was dist.
    const tsx = await bosun(["--help"], { BOSUN_CLI: "tsx" }, join(pkg, "bin/bosun.mjs"), cwd);
    expect(tsx.code).not.toBe(0);
    expect(tsx.stderr).toMatch(/tsx/);
  });
});
