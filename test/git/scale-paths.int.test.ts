/**
 * Issue 21's git paths against the real git server: the cold fetch indexes the pack once into the shared object
 * cache (the mirror stays a valid git repository for native git and isomorphic-git), an unchanged poll is one small
 * request and no re-parse, and a status write on top of someone else's commit fetches only the missing objects and
 * pushes only what it changed. Counts, not timings (the timings are in bench/results/git.md).
 */
import * as fs from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import git from "isomorphic-git";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitMirror } from "../../engine/git/mirror.ts";
import { FleetTreeReader } from "../../engine/git/read-files.ts";
import { renderStatusFiles } from "../../engine/status/documents.ts";
import type { ObjectStatus } from "../../engine/status/types.ts";
import { StatusWriter } from "../../engine/status/writer.ts";
import { WorkTree } from "../../lab/git-server/index.ts";
import { AUTH, configMap, readBranch, startFixture, type Fixture } from "./helpers.ts";

let fx: Fixture;

const files: Record<string, string> = {};
for (let i = 0; i < 120; i++) files[`site-${i % 6}/cm-${i}.yaml`] = configMap(`cm-${i}`, `${i} ${"x".repeat(120)}`);

beforeAll(async () => {
  fx = await startFixture(files);
});
afterAll(async () => {
  await fx.dispose();
});

describe("git at fleet scale (real git server)", () => {
  it("cold fetch: one pack, indexed once into the object cache; native git and isomorphic-git read the mirror", async () => {
    const mirror = await GitMirror.open({ gitdir: await fx.tmp("cold"), url: fx.repoUrl, credentials: AUTH });
    const before = fx.server.requests;
    const rev = await mirror.fetchRevision("main");
    expect(fx.server.requests - before).toBe(2); // ls-refs + fetch, no GET info/refs
    const read = await new FleetTreeReader(mirror.gitdir, mirror.cache).read(rev.commit);
    expect(read.map((f) => f.path).sort()).toEqual(Object.keys(files).sort());
    expect(new TextDecoder().decode(read.find((f) => f.path === "site-1/cm-1.yaml")!.bytes)).toBe(
      files["site-1/cm-1.yaml"],
    );
    // Every tree and blob came from the objects the fetch indexed: nothing was inflated a second time.
    expect(mirror.stats.fetchedObjects).toBe(120 + 7 + 1);
    expect(mirror.objects.stats.misses).toBe(1); // the "do we have it?" check before the fetch
    // The mirror is a valid (shallow) git repository: our .idx is git's own format.
    execFileSync("git", ["--git-dir", mirror.gitdir, "fsck", "--full", "--no-dangling"]);
    const blobOid = (await fx.wt.run(["rev-parse", `${rev.commit}:site-1/cm-1.yaml`])).trim();
    const { blob } = await git.readBlob({ fs, gitdir: mirror.gitdir, oid: blobOid, cache: {} });
    expect(new TextDecoder().decode(blob)).toBe(files["site-1/cm-1.yaml"]);
  });

  it("an unchanged poll is one request and is not parsed again; a new commit fetches only what changed", async () => {
    const mirror = await GitMirror.open({ gitdir: await fx.tmp("poll"), url: fx.repoUrl, credentials: AUTH });
    const first = await mirror.fetchRevision("main");
    const parsed = mirror.stats.lsRefsParsed;
    const before = fx.server.requests;
    for (let i = 0; i < 5; i++) expect((await mirror.fetchRevision("main")).commit).toBe(first.commit);
    expect(fx.server.requests - before).toBe(5);
    expect(mirror.stats.lsRefsParsed).toBe(parsed);
    expect(mirror.stats.fetches).toBe(1);

    const next = await fx.wt.commitAndPush("main", { "site-2/cm-2.yaml": configMap("cm-2", "changed") }, "one file");
    const objectsBefore = mirror.stats.fetchedObjects;
    expect((await mirror.fetchRevision("main")).commit).toBe(next);
    // commit + root tree + site-2 tree + one blob: the server was told what the mirror has.
    expect(mirror.stats.fetchedObjects - objectsBefore).toBe(4);
    const reader = new FleetTreeReader(mirror.gitdir, mirror.cache);
    await reader.read(first.commit);
    await reader.read(next);
    expect(reader.lastStats).toEqual({ treesRead: 2, blobsRead: 1, blobsReused: 119 });
  });

  it("a status write on top of a foreign commit fetches only the missing objects and pushes only the change", async () => {
    const mirror = await GitMirror.open({ gitdir: await fx.tmp("status"), url: fx.repoUrl, credentials: AUTH });
    const writer = new StatusWriter({ mirror });
    const objects: ObjectStatus[] = Array.from({ length: 300 }, (_, i) => ({
      kind: "ConfigMap",
      namespace: `site-${i % 6}`,
      name: `cm-${i}`,
      observedCommit: "a".repeat(40),
      phase: "Ready",
    }));
    const snap = (phase0: string) =>
      renderStatusFiles({
        commit: { repo: "r", ref: "main", phase: "Applied", observedCommit: "a".repeat(40) },
        objects: objects.map((o, i) => (i === 0 ? { ...o, phase: phase0 } : o)),
      });
    const target = { branch: "bosun/status", prefix: "" };
    expect((await writer.write(target, snap("Ready-0"), "status 0")).commit).toBeDefined();
    // The first write adds 300+ objects: written as one pack, which native git accepts.
    expect(fs.readdirSync(join(mirror.gitdir, "objects", "pack")).filter((f) => f.endsWith(".pack"))).toHaveLength(1);
    execFileSync("git", ["--git-dir", mirror.gitdir, "fsck", "--no-dangling"]);

    // Someone else commits on top: a note of their own and an edit of a file Bosun owns.
    const human = await WorkTree.open(fx.repoUrl, AUTH);
    await human.checkout("bosun/status");
    await human.commitAndPush(
      "bosun/status",
      { "notes/ops.md": "maintenance window\n", "objects/ConfigMap/site-3/cm-3.yaml": "hand edit\n" },
      "ops note",
    );
    await human.dispose();

    const fetched = mirror.stats.fetchedObjects;
    const pushed = mirror.stats.pushedObjects;
    const res = await writer.write(target, snap("Ready-1"), "status 1");
    expect(res.attempts).toBe(1);
    // The human commit, its root tree, notes/, objects/, ConfigMap/, site-3/ and two blobs — not the 300-file tree.
    expect(mirror.stats.fetchedObjects - fetched).toBeLessThanOrEqual(8);
    // Our commit, root tree, objects/, ConfigMap/, two site trees, two object files, STATUS.md.
    expect(mirror.stats.pushedObjects - pushed).toBeLessThanOrEqual(10);
    // A pass that changes nothing (ref check of main, then the status write) is one request: the ref check also
    // asked for the status branch.
    await mirror.fetchRevision("main");
    const before = fx.server.requests;
    await mirror.fetchRevision("main");
    expect(await writer.write(target, snap("Ready-1"), "status unchanged")).toEqual({ attempts: 0 });
    expect(fx.server.requests - before).toBe(1);
    const branch = (await readBranch(fx.wt, "bosun/status"))!;
    expect(branch.head).toBe(res.commit);
    expect(await branch.show("notes/ops.md")).toBe("maintenance window\n");
    expect(await branch.show("objects/ConfigMap/site-3/cm-3.yaml")).toContain("phase: Ready");
    expect(await branch.show("objects/ConfigMap/site-0/cm-0.yaml")).toContain("phase: Ready-1");
    expect(branch.files.filter((f) => f.startsWith("objects/"))).toHaveLength(300);
    // The server repository took our packs: still consistent.
    execFileSync("git", ["--git-dir", join(fx.root, "fleet.git"), "fsck", "--no-dangling"]);
  });
});
