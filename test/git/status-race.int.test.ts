import * as fs from "node:fs";
import git from "isomorphic-git";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitMirror } from "../../engine/git/mirror.ts";
import { renderStatusFiles } from "../../engine/status/documents.ts";
import type { StatusSnapshot } from "../../engine/status/types.ts";
import { StatusWriter } from "../../engine/status/writer.ts";
import { AUTH, readBranch, startFixture, type Fixture } from "./helpers.ts";

let fx: Fixture;
let mirror: GitMirror;

const snapshot = (commit: string, phase = "Ready"): StatusSnapshot => ({
  commit: { repo: "r", ref: "main", phase: "Applied", observedCommit: commit, appliedCommit: commit },
  objects: [{ kind: "ConfigMap", namespace: "default", name: "a", observedCommit: commit, phase }],
});

beforeAll(async () => {
  fx = await startFixture();
  mirror = await GitMirror.open({ gitdir: await fx.tmp("mirror"), url: fx.repoUrl, credentials: AUTH });
});
afterAll(async () => {
  await fx.dispose();
});

describe("status write-back with fetch-rebuild-retry", () => {
  it("commits once, then not at all when nothing changed", async () => {
    const writer = new StatusWriter({ mirror });
    const first = await writer.write(
      { branch: "bosun/status", prefix: "" },
      renderStatusFiles(snapshot("a".repeat(40))),
      "status 1",
    );
    expect(first.commit).toMatch(/^[0-9a-f]{40}$/);
    const again = await writer.write(
      { branch: "bosun/status", prefix: "" },
      renderStatusFiles(snapshot("a".repeat(40))),
      "status 2",
    );
    expect(again).toEqual({ attempts: 0 });
    const branch = await readBranch(fx.wt, "bosun/status");
    expect(branch?.head).toBe(first.commit);
    const author = await fx.wt.run(["log", "-1", "--format=%an <%ae>", branch!.head]);
    expect(author.trim()).toBe("Bosun <bosun@localhost>");
  });

  it("a human commit pushed to the status branch at the same moment survives; our files win on files we own", async () => {
    const human = await (await import("../../lab/git-server/index.ts")).WorkTree.open(fx.repoUrl, AUTH);
    await human.checkout("bosun/status");
    let humanSha = "";
    let raced = false;
    // Between our fetch and our push, a human pushes: a note of their own and an edit of a file we own.
    const racing = new Proxy(mirror, {
      get(target, prop, receiver) {
        if (prop === "fetchBranch") {
          return async (branch: string, signal?: AbortSignal) => {
            const head = await target.fetchBranch(branch, signal);
            if (!raced) {
              raced = true;
              humanSha = await human.commitAndPush(
                "bosun/status",
                { "notes/human.md": "kept\n", "objects/ConfigMap/default/a.yaml": "edited by hand\n" },
                "human note",
              );
            }
            return head;
          };
        }
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const writer = new StatusWriter({ mirror: racing, backoff: { baseMs: 10, maxMs: 50 } });
    const res = await writer.write(
      { branch: "bosun/status", prefix: "" },
      renderStatusFiles(snapshot("b".repeat(40), "Progressing")),
      "status 3",
    );
    expect(res.attempts).toBe(2);
    const branch = (await readBranch(fx.wt, "bosun/status"))!;
    expect(branch.head).toBe(res.commit);
    expect(branch.files).toContain("notes/human.md");
    expect(await branch.show("notes/human.md")).toBe("kept\n");
    expect(await branch.show("objects/ConfigMap/default/a.yaml")).toContain("phase: Progressing");
    // The human commit is in our history: nothing was overwritten or lost.
    await fx.wt.run(["merge-base", "--is-ancestor", humanSha, branch.head]);
    const parents = await git.readCommit({ fs, gitdir: mirror.gitdir, oid: res.commit!, cache: mirror.cache });
    expect(parents.commit.parent).toEqual([humanSha]);
    await human.dispose();
  });

  it("deletes status files of objects that are gone but keeps human files", async () => {
    const writer = new StatusWriter({ mirror });
    const empty: StatusSnapshot = {
      commit: { repo: "r", ref: "main", phase: "Applied", observedCommit: "c".repeat(40) },
      objects: [],
    };
    await writer.write({ branch: "bosun/status", prefix: "" }, renderStatusFiles(empty), "status 4");
    const branch = (await readBranch(fx.wt, "bosun/status"))!;
    expect(branch.files.sort()).toEqual(["STATUS.md", "_commit.yaml", "notes/human.md"]);
  });
});
