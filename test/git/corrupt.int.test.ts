/**
 * Corrupt objects on the server: the served bare repo's objects of a new commit are overwritten
 * on disk. The engine keeps the last good state, logs and writes the error to status (the server
 * answers), backs off, and applies the commit once the repo is repaired — no restart.
 */
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ReconcileLoop } from "../../engine/loop/loop.ts";
import type { PassOutcome } from "../../engine/loop/pass.ts";
import { git } from "../../lab/git-server/index.ts";
import { AUTH, configMap, readBranch, loopHarness, waitFor, type Fixture } from "./helpers.ts";

const harness = loopHarness(async (fx) => {
  process.env["BOSUN_IT_CORRUPT_USER"] = AUTH.username;
  process.env["BOSUN_IT_CORRUPT_PASS"] = AUTH.password;
  return {
    repo: {
      url: fx.repoUrl,
      mirrorDir: await fx.tmp("mirror"),
      requestTimeoutMs: 5_000,
      credentials: { kind: "env", usernameVar: "BOSUN_IT_CORRUPT_USER", passwordVar: "BOSUN_IT_CORRUPT_PASS" },
    },
    poll: { intervalMs: 200, jitter: 0.1 },
    backoff: { baseMs: 100, maxMs: 800, jitter: 0.2 },
  };
});
const { consumer, outcomes, log } = harness;
let fx: Fixture;
let loop: ReconcileLoop;

beforeAll(async () => {
  ({ fx, loop } = await harness.start());
});

afterAll(() => harness.stop());

/** Path of a loose object in the served bare repo. */
function loosePath(oid: string): string {
  return join(fx.root, "fleet.git", "objects", oid.slice(0, 2), oid.slice(2));
}

type FetchFailed = Extract<PassOutcome, { kind: "fetch-failed" }>;

describe("corrupt objects in the served repo", () => {
  it("keeps the last good state, writes FetchFailed to status, backs off, and applies the commit once repaired", async () => {
    const good = consumer.calls.at(-1)!.commit;

    // Push a new commit (few objects: they land loose) to a side branch, overwrite its new blob with garbage, then
    // move main to it on the server: the loop (polling every 200 ms) never sees the commit before it is corrupt.
    const sha = await fx.wt.commitAndPush(
      "corrupt-staging",
      { "apps/b.yaml": configMap("b", "corrupt-me") },
      "commit whose blob gets corrupted",
    );
    const blob = (await fx.wt.run(["rev-parse", `${sha}:apps/b.yaml`])).trim();
    const path = loosePath(blob);
    const original = await readFile(path);
    await chmod(path, 0o644);
    await writeFile(path, Buffer.from("this is not a zlib stream, the object is corrupt"));
    await git(["--git-dir", join(fx.root, "fleet.git"), "update-ref", "refs/heads/main", sha]);
    // Every pass applies the unchanged good commit again (drift correction) until it sees the move: count from here.
    await loop.idle();
    const appliedBefore = consumer.calls.length;
    const failuresAtCorruption = outcomes.filter((o) => o.kind === "fetch-failed").length;

    await waitFor(() => loop.state.consecutiveFailures >= 3, "three failed passes in a row");
    await loop.idle();
    const failed = outcomes.filter((o): o is FetchFailed => o.kind === "fetch-failed").slice(failuresAtCorruption);
    expect(failed.length).toBeGreaterThanOrEqual(3);
    expect(failed.map((o) => o.error.kind)).toEqual(failed.map(() => "corrupt"));
    // Last good state stays in force; nothing new reached the consumer.
    expect(consumer.calls.length).toBe(appliedBefore);
    expect(consumer.commits).not.toContain(sha);
    expect(loop.state.lastGood?.commit).toBe(good);

    // The server answered, so the error is on the status branch.
    await waitFor(
      async () =>
        (await (await readBranch(fx.wt, "bosun/status"))?.show("_commit.yaml"))?.includes("FetchFailed") ?? false,
      "status shows FetchFailed",
    );
    const commitYaml = await (await readBranch(fx.wt, "bosun/status"))!.show("_commit.yaml");
    expect(commitYaml).toContain("phase: FetchFailed");
    expect(commitYaml).toMatch(/lastError: .*corrupt/);
    expect(commitYaml).toContain(`appliedCommit: ${good}`);

    // Logged, and the retries back off.
    const text = log.lines.join("\n");
    expect(text).toContain("fetch failed: corrupt");
    const delays = log.lines
      .filter((l) => l.includes('"backing off"'))
      .map((l) => JSON.parse(l) as { retryInMs: number; failures: number });
    const growing = delays.filter((d) => d.failures >= 1);
    expect(growing.some((d) => d.failures >= 3)).toBe(true);
    const first = growing.find((d) => d.failures === 1)!;
    const third = growing.find((d) => d.failures === 3)!;
    expect(third.retryInMs).toBeGreaterThan(first.retryInMs);

    // Repair the repo on disk: the very same commit is applied without a restart.
    await writeFile(path, original);
    await waitFor(() => consumer.commits.includes(sha), "repaired commit applied", 30_000);
    expect(loop.state.consecutiveFailures).toBe(0);
    expect(consumer.calls.at(-1)!.keys).toEqual(["ConfigMap/default/a", "ConfigMap/default/b"]);
    await waitFor(
      async () =>
        (await (await readBranch(fx.wt, "bosun/status"))?.show("_commit.yaml"))?.includes(`appliedCommit: ${sha}`) ??
        false,
      "status shows the repaired commit applied",
    );

    // A later commit is picked up as usual.
    const next = await fx.wt.commitAndPush("main", { "apps/c.yaml": configMap("c", "1") }, "after repair");
    await waitFor(() => consumer.commits.includes(next), "next commit applied");
    expect(log.lines.join("\n")).not.toContain(AUTH.password);
  });

  it("treats a branch pointing at a missing object as corrupt and recovers once the ref is repaired", async () => {
    await loop.idle();
    const good = loop.state.lastGood!.commit;
    const applied = consumer.calls.length;
    const refFile = join(fx.root, "fleet.git", "refs", "heads", "main");
    const missing = "0123456789abcdef0123456789abcdef01234567";
    const failedBefore = outcomes.filter((o) => o.kind === "fetch-failed").length;
    await writeFile(refFile, `${missing}\n`);

    await waitFor(
      () => outcomes.filter((o) => o.kind === "fetch-failed").length >= failedBefore + 2,
      "two failed passes",
    );
    const failed = outcomes.filter((o): o is FetchFailed => o.kind === "fetch-failed").slice(failedBefore);
    expect(failed.map((o) => o.error.kind)).toEqual(failed.map(() => "corrupt"));
    expect(failed[0]!.error.message).toContain(missing);
    expect(consumer.calls.length).toBe(applied);
    expect(loop.state.lastGood?.commit).toBe(good);
    // git's receive-pack refuses every push while a ref names a missing object ("missing necessary
    // objects"), so status cannot be written here; the refusal is logged as such, not as a race.
    await waitFor(
      () =>
        log.lines.some((l) => l.includes("status write failed: corrupt") && l.includes("missing necessary objects")),
      "status push refusal logged",
    );
    expect(log.lines.join("\n")).not.toMatch(/rejected \d+ times/);

    await writeFile(refFile, `${good}\n`);
    const next = await fx.wt.commitAndPush("main", { "apps/d.yaml": configMap("d", "1") }, "after ref repair");
    await waitFor(() => consumer.commits.includes(next), "commit after ref repair applied");
    expect(loop.state.consecutiveFailures).toBe(0);
  });
});
