/**
 * Bosun's pack indexer against native git: the `.idx` it writes for a pack with deltas is byte for byte the one
 * `git index-pack` writes, every object resolves to its oid, and the packs Bosun builds pass `git index-pack`.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  applyDelta,
  buildIndexedPack,
  buildPack,
  indexPack,
  objectId,
  PackError,
  parseTree,
  serializeTree,
} from "../../engine/git/pack.ts";

let dir: string;
const git = (args: string[], input?: Buffer): Buffer =>
  execFileSync("git", ["-C", dir, ...args], {
    input,
    maxBuffer: 1 << 28,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@t",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@t",
    },
  });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "bosun-pack-"));
  git(["init", "--quiet"]);
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 40; i++) {
      execFileSync("mkdir", ["-p", join(dir, `d${i % 4}`)]);
      writeFileSync(
        join(dir, `d${i % 4}`, `f${i}.yaml`),
        `name: f${i}\nround: ${round}\npayload: ${"x".repeat(300)}\n`,
      );
    }
    git(["add", "-A"]);
    git(["commit", "--quiet", "-m", `round ${round}`]);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("pack indexing", () => {
  it("writes the same .idx as git index-pack for a deltified pack, and resolves every object", async () => {
    const revs = Buffer.from("HEAD\n");
    const pack = git(["pack-objects", "--stdout", "--revs", "--depth=50", "--window=50"], revs);
    const { objects, idx } = await indexPack(pack);
    const packPath = join(dir, "test.pack");
    writeFileSync(packPath, pack);
    git(["index-pack", "-o", join(dir, "test.idx"), packPath]);
    expect(idx.equals(readFileSync(join(dir, "test.idx")))).toBe(true);
    const all = git(["rev-list", "--objects", "HEAD"])
      .toString()
      .split("\n")
      .filter(Boolean)
      .map((l) => l.slice(0, 40));
    expect(new Set(objects.map((o) => o.oid))).toEqual(new Set(all));
    for (const o of objects.slice(0, 20)) {
      expect(Buffer.from(o.bytes).equals(git(["cat-file", o.type, o.oid]))).toBe(true);
    }
    // The pack had deltas (so applyDelta was exercised).
    const verbose = git(["verify-pack", "-v", join(dir, "test.idx")]).toString();
    expect(verbose).toMatch(/chain length = [1-9]/);
  });

  it("resolves a thin pack against objects outside it", async () => {
    const thin = git(["pack-objects", "--stdout", "--revs", "--thin"], Buffer.from("HEAD\n^HEAD~1\n"));
    const full = await indexPack(git(["pack-objects", "--stdout", "--revs"], Buffer.from("HEAD\n")));
    const all = new Map(full.objects.map((o) => [o.oid, o]));
    await expect(indexPack(thin)).rejects.toThrow(/without a base/);
    const r = await indexPack(thin, (oid) => Promise.resolve(all.get(oid)));
    expect(r.thin).toBe(true);
    for (const o of r.objects) expect(all.get(o.oid)?.bytes).toEqual(o.bytes);
    // Only what HEAD~1 does not have: the commit, changed trees and blobs.
    expect(r.objects.length).toBeLessThan(60);
  });

  it("refuses a truncated pack", async () => {
    const pack = git(["pack-objects", "--stdout", "--revs"], Buffer.from("HEAD\n"));
    await expect(indexPack(pack.subarray(0, pack.length - 100))).rejects.toThrow(PackError);
  });

  it("builds packs git accepts, and round-trips trees", async () => {
    const blob = new TextEncoder().encode("hello\n");
    const tree = serializeTree([
      { mode: "100644", path: "b.txt", oid: objectId("blob", blob) },
      { mode: "040000", path: "a", oid: objectId("tree", serializeTree([])) },
      { mode: "100644", path: "a.txt", oid: objectId("blob", blob) },
    ]);
    expect(parseTree(tree).map((e) => e.path)).toEqual(["a.txt", "a", "b.txt"]); // git order: "a" sorts as "a/"
    const pack = buildPack([
      { type: "blob", bytes: blob },
      { type: "tree", bytes: serializeTree([]) },
      { type: "tree", bytes: tree },
    ]);
    const packPath = join(dir, "built.pack");
    writeFileSync(packPath, pack);
    git(["index-pack", "-o", join(dir, "built.idx"), packPath]);
    expect((await indexPack(pack)).idx.equals(readFileSync(join(dir, "built.idx")))).toBe(true);
    const again = buildIndexedPack([
      { type: "blob", bytes: blob },
      { type: "tree", bytes: serializeTree([]) },
      { type: "tree", bytes: tree },
    ]);
    expect(again.pack.equals(pack)).toBe(true);
    expect(again.idx.equals(readFileSync(join(dir, "built.idx")))).toBe(true);
    expect(git(["hash-object", "-t", "tree", "--stdin"], Buffer.from(tree)).toString().trim()).toBe(
      objectId("tree", tree),
    );
  });

  it("applies copy and insert delta instructions", () => {
    const base = Buffer.from("0123456789");
    // base size 10, result size 7: copy 4 bytes from offset 2, insert "abc"
    const delta = Buffer.from([10, 7, 0x80 | 0x01 | 0x10, 2, 4, 3, ...Buffer.from("abc")]);
    expect(Buffer.from(applyDelta(base, delta)).toString()).toBe("2345abc");
  });
});
