/**
 * Status commit coalescing and history compaction on the real git server.
 *
 * Coalescing runs the real ReconcileLoop with a consumer playing a rollout. Time is scaled down 10×: a 12 s rollout
 * with `status.minIntervalSeconds: 3` in bosun.yaml stands for the 2-minute rollout at the default 30 s
 * (passes are requeued every 300 ms, like engine.requeueMs), so the test stays short.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DesiredState } from "../../engine/desired/load-fleet.ts";
import { GitMirror } from "../../engine/git/mirror.ts";
import type { ApplyContext, DesiredStateConsumer } from "../../engine/loop/consumer.ts";
import { ReconcileLoop } from "../../engine/loop/loop.ts";
import { compactStatusBranch } from "../../engine/status/compact.ts";
import { renderStatusFiles } from "../../engine/status/documents.ts";
import type { ObjectStatus } from "../../engine/status/types.ts";
import { DEFAULT_IDENTITY, StatusWriter } from "../../engine/status/writer.ts";
import { WorkTree } from "../../lab/git-server/index.ts";
import { AUTH, captureLogger, configMap, readBranch, startFixture, waitFor, type Fixture } from "./helpers.ts";

const ROLLOUT_MS = 12_000;
const BOSUN_YAML = "apiVersion: bosun.dev/v1alpha1\nkind: BosunConfig\nstatus:\n  minIntervalSeconds: 3\n";

/** Plays a rollout of ROLLOUT_MS for every new commit after the first: Progressing with growing counts, then Ready. */
class RolloutConsumer implements DesiredStateConsumer {
  private started = new Map<string, number>();
  passes = 0;
  progressing = false;
  apply(desired: DesiredState, ctx: ApplyContext): Promise<readonly ObjectStatus[]> {
    this.passes++;
    const first = this.started.size === 0;
    if (!this.started.has(ctx.commit)) this.started.set(ctx.commit, Date.now());
    const elapsed = Date.now() - this.started.get(ctx.commit)!;
    this.progressing = !first && elapsed < ROLLOUT_MS;
    const updated = this.progressing ? Math.floor((elapsed / ROLLOUT_MS) * 100) : 100;
    return Promise.resolve(
      desired.objects.map((o) => ({
        kind: o.kind,
        namespace: o.namespace,
        name: o.name,
        observedCommit: ctx.commit,
        phase: this.progressing ? "Progressing" : "Ready",
        counts: { targets: 100, updated },
      })),
    );
  }
}

describe("status commit coalescing (ReconcileLoop, real git server)", () => {
  let fx: Fixture;
  let loop: ReconcileLoop;
  const consumer = new RolloutConsumer();
  const log = captureLogger();

  beforeAll(async () => {
    fx = await startFixture({ "bosun.yaml": BOSUN_YAML, "apps/a.yaml": configMap("a", "1") });
    loop = new ReconcileLoop({
      config: {
        repo: {
          url: fx.repoUrl,
          mirrorDir: await fx.tmp("mirror"),
          credentials: { kind: "env", usernameVar: "BOSUN_IT_COALESCE_USER", passwordVar: "BOSUN_IT_COALESCE_PASS" },
        },
        poll: { intervalMs: 0 },
      },
      consumer,
      logger: log.logger,
      onPass: () => {
        if (consumer.progressing) setTimeout(() => loop.trigger("rollout progressing"), 300).unref();
      },
    });
    credentials();
    await loop.start();
    await waitFor(async () => (await readBranch(fx.wt, "bosun/status")) !== undefined, "first status commit");
  });
  afterAll(async () => {
    await loop.stop();
    await fx.dispose();
  });

  function credentials(): void {
    process.env["BOSUN_IT_COALESCE_USER"] = AUTH.username;
    process.env["BOSUN_IT_COALESCE_PASS"] = AUTH.password;
  }

  it("a rollout of 4 intervals makes at most 5 status commits, the last one its final state", async () => {
    await loop.idle();
    const before = (await readBranch(fx.wt, "bosun/status"))!.count;
    const passesBefore = consumer.passes;
    const bump = await fx.wt.commitAndPush("main", { "apps/a.yaml": configMap("a", "2") }, "bump");
    loop.trigger("webhook");
    await waitFor(
      async () =>
        (await (await readBranch(fx.wt, "bosun/status"))?.show("objects/ConfigMap/default/a.yaml"))?.includes(
          "phase: Ready",
        ) === true && !consumer.progressing,
      "rollout finished and its final state committed",
      60_000,
    );
    await loop.idle();
    const branch = (await readBranch(fx.wt, "bosun/status"))!;
    const commits = branch.count - before;
    const passes = consumer.passes - passesBefore;
    expect(passes).toBeGreaterThan(15); // without coalescing every one of these would have committed
    expect(commits).toBeGreaterThanOrEqual(2);
    expect(commits).toBeLessThanOrEqual(5);
    const last = await branch.show("objects/ConfigMap/default/a.yaml");
    expect(last).toContain("phase: Ready");
    expect(last).toContain(`observedCommit: ${bump}`);
    expect(last).toMatch(/updated: 100/);
    expect(log.lines.some((l) => l.includes("status commit deferred"))).toBe(true);
  });
});

describe("status history compaction (real git server)", () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await startFixture();
  });
  afterAll(async () => {
    await fx.dispose();
  });

  it("squashes Bosun's old status commits and keeps every human commit's content, author and message", async () => {
    const mirror = await GitMirror.open({ gitdir: await fx.tmp("mirror"), url: fx.repoUrl, credentials: AUTH });
    const writer = new StatusWriter({ mirror });
    const target = { branch: "bosun/status", prefix: "" };
    let n = 0;
    const write = async (): Promise<void> => {
      n++;
      const snap = renderStatusFiles({
        commit: { repo: "r", ref: "main", phase: "Applied", observedCommit: "a".repeat(40) },
        objects: [
          { kind: "ConfigMap", namespace: "default", name: "a", observedCommit: "a".repeat(40), phase: `P${n}` },
        ],
      });
      expect((await writer.write(target, snap, `bosun: status ${n}`)).commit).toBeDefined();
    };
    const human = await WorkTree.open(fx.repoUrl, AUTH);
    const humanCommit = async (files: Record<string, string>, message: string): Promise<string> => {
      await human.checkout("bosun/status");
      return human.commitAndPush("bosun/status", files, message);
    };
    for (let i = 0; i < 5; i++) await write();
    const h1 = await humanCommit({ "notes/one.md": "first note\n" }, "ops: first note");
    for (let i = 0; i < 4; i++) await write();
    const h2 = await humanCommit(
      {
        "notes/one.md": "first note, amended\n",
        "notes/two.md": "second\n",
        "objects/ConfigMap/default/a.yaml": "x\n",
      },
      "ops: second note",
    );
    for (let i = 0; i < 3; i++) await write();
    const before = (await readBranch(fx.wt, "bosun/status"))!;
    expect(before.count).toBe(14);
    const original = async (sha: string) => ({
      tree: (await fx.wt.run(["rev-parse", `${sha}^{tree}`])).trim(),
      author: (await fx.wt.run(["log", "-1", "--format=%an <%ae> %at", sha])).trim(),
      diff: (await fx.wt.run(["diff-tree", "-r", "--no-commit-id", "--name-status", sha])).trim(),
    });
    const humans = { "ops: first note": await original(h1), "ops: second note": await original(h2) };

    const result = await compactStatusBranch(mirror, {
      branch: "bosun/status",
      identity: DEFAULT_IDENTITY,
      keepRecent: 2,
    });
    expect(result).toMatchObject({ outcome: "ok", commitsBefore: 14, foreignKept: 2 });
    // squash(5) · h1 · squash(4) · h2 · squash(1) · 2 recent
    expect(result.commitsAfter).toBe(7);
    const after = (await readBranch(fx.wt, "bosun/status"))!;
    expect(after.head).toBe(result.head);
    expect(after.count).toBe(7);
    expect((await fx.wt.run(["rev-parse", `${after.head}^{tree}`])).trim()).toBe(
      (await fx.wt.run(["rev-parse", `${before.head}^{tree}`])).trim(),
    );
    for (const [message, was] of Object.entries(humans)) {
      const sha = (await fx.wt.run(["log", "--format=%H", `--grep=^${message}$`, after.head])).trim();
      expect(sha).toMatch(/^[0-9a-f]{40}$/);
      expect(await original(sha)).toEqual(was); // same tree, same author and date, same diff against its parent
    }
    const log = (await fx.wt.run(["log", "--format=%an|%s", after.head])).trim().split("\n");
    expect(log.filter((l) => l.startsWith("Lab Human|"))).toHaveLength(2);
    expect(log.filter((l) => l.includes("status history compacted"))).toHaveLength(3);

    // The writer carries on on top of the compacted head, keeping the humans' files.
    await write();
    const next = (await readBranch(fx.wt, "bosun/status"))!;
    expect(next.count).toBe(8);
    expect(await next.show("notes/one.md")).toBe("first note, amended\n");
    expect(await next.show("objects/ConfigMap/default/a.yaml")).toContain(`phase: P${n}`);
    await human.dispose();
  });
});
