import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ReconcileLoop } from "../../engine/loop/loop.ts";
import { AUTH, configMap, readBranch, loopHarness, waitFor, type Fixture } from "./helpers.ts";

const harness = loopHarness(async (fx) => {
  process.env["BOSUN_IT_GIT_USER"] = AUTH.username;
  process.env["BOSUN_IT_GIT_PASS"] = AUTH.password;
  return {
    repo: {
      url: fx.repoUrl,
      ref: "main",
      mirrorDir: await fx.tmp("mirror"),
      credentials: { kind: "env", usernameVar: "BOSUN_IT_GIT_USER", passwordVar: "BOSUN_IT_GIT_PASS" },
    },
    // Polling is fast here so "picked up by the next poll" needs no manual trigger.
    poll: { intervalMs: 300, jitter: 0.2 },
    backoff: { baseMs: 100, maxMs: 1_000 },
  };
});
const { consumer, outcomes, log } = harness;
let fx: Fixture;
let loop: ReconcileLoop;

beforeAll(async () => {
  ({ fx, loop } = await harness.start());
});

afterAll(() => harness.stop());

describe("reconcile loop against the real git server", () => {
  it("applies the initial commit and writes status files to bosun/status", async () => {
    const head = (await fx.wt.run(["rev-parse", "HEAD"])).trim();
    expect(consumer.calls[0]).toEqual({ commit: head, keys: ["ConfigMap/default/a"] });
    await waitFor(async () => (await readBranch(fx.wt, "bosun/status")) !== undefined, "status branch exists");
    const status = await readBranch(fx.wt, "bosun/status");
    expect(status?.files).toEqual(["STATUS.md", "_commit.yaml", "objects/ConfigMap/default/a.yaml"]);
    const obj = await status!.show("objects/ConfigMap/default/a.yaml");
    expect(obj).toContain(`observedCommit: ${head}`);
    expect(obj).toContain("phase: Ready");
    expect(obj).toContain("source: apps/a.yaml:1");
    expect(await status!.show("_commit.yaml")).toContain(`appliedCommit: ${head}`);
    expect(await status!.show("STATUS.md")).toContain("| ConfigMap/default/a | Ready |");
  });

  it("makes no status commit when a pass changes nothing", async () => {
    await loop.idle();
    const before = await readBranch(fx.wt, "bosun/status");
    const passes = loop.state.passes;
    await waitFor(() => loop.state.passes >= passes + 2, "two more polls");
    await loop.idle();
    const after = await readBranch(fx.wt, "bosun/status");
    expect(after?.head).toBe(before?.head);
    expect(after?.count).toBe(before?.count);
  });

  it("picks up a push to the tracked branch on the next poll", async () => {
    const sha = await fx.wt.commitAndPush("main", { "apps/b.yaml": configMap("b", "2") }, "add b");
    await waitFor(() => consumer.commits.includes(sha), "poll picks up the push");
    expect(consumer.calls.at(-1)?.keys).toEqual(["ConfigMap/default/a", "ConfigMap/default/b"]);
    await waitFor(
      async () =>
        (await readBranch(fx.wt, "bosun/status"))?.files.includes("objects/ConfigMap/default/b.yaml") ?? false,
      "status for b",
    );
  });

  it("does not apply an invalid commit, writes its file:line errors to status, then applies the next valid commit", async () => {
    await loop.idle();
    const goodBefore = consumer.calls.at(-1)!.commit;
    const bad = await fx.wt.commitAndPush(
      "main",
      { "apps/bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\ndata:\n  k: [\n" },
      "broken yaml",
    );
    await waitFor(() => outcomes.some((o) => o.kind === "invalid" && o.commit === bad), "invalid outcome");
    await waitFor(
      async () => (await (await readBranch(fx.wt, "bosun/status"))!.show("_commit.yaml")).includes(bad),
      "status shows invalid commit",
    );
    expect(consumer.commits).not.toContain(bad);
    const status = (await readBranch(fx.wt, "bosun/status"))!;
    const commitYaml = await status.show("_commit.yaml");
    expect(commitYaml).toContain("phase: Invalid");
    expect(commitYaml).toMatch(/apps\/bad\.yaml:\d+:\d+: YAML_SYNTAX /);
    expect(commitYaml).toContain(`appliedCommit: ${goodBefore}`);
    expect(await status.show("STATUS.md")).toMatch(/apps\/bad\.yaml:\d+:\d+: YAML_SYNTAX/);
    const fixed = await fx.wt.commitAndPush("main", { "apps/bad.yaml": configMap("bad", "fixed") }, "fix yaml");
    await waitFor(() => consumer.commits.includes(fixed), "next valid commit applied");
    expect(consumer.calls.at(-1)?.keys).toContain("ConfigMap/default/bad");
  });

  it("never writes the password to logs or to the status branch", async () => {
    await loop.idle();
    const status = (await readBranch(fx.wt, "bosun/status"))!;
    const all = (await Promise.all(status.files.map((f) => status.show(f)))).join("\n");
    const log = await fx.wt.run(["log", "--format=%an %ae %s %b", status.head]);
    const basic = Buffer.from(`${AUTH.username}:${AUTH.password}`).toString("base64");
    for (const text of [all, log, logLines()]) {
      expect(text).not.toContain(AUTH.password);
      expect(text).not.toContain(basic);
    }
    expect(logLines()).toContain("status committed");
  });
});

function logLines(): string {
  return log.lines.join("\n");
}
