/**
 * The working-tree reader on a real temp folder: what it selects (fleet paths only, no .git or
 * node_modules, `exclude`), symlinks reported as links, files over paths.maxFileBytes cut one
 * byte past the limit, FIFOs skipped, and the order (by path, not by directory listing).
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BosunError } from "../model/errors.ts";
import { loadFleet } from "./load-fleet.ts";
import { readDirectory } from "./read-directory.ts";

const LIMIT = 400;
let root: string;

async function put(path: string, text: string): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), text);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "bosun-read-dir-"));
  await put("bosun.yaml", `apiVersion: bosun.dev/v1alpha1\nkind: BosunConfig\npaths:\n  maxFileBytes: ${LIMIT}\n`);
  await put("a/x.yaml", "a: 1\n");
  await put("a-b/x.yaml", "b: 1\n");
  await put("big.yaml", `# ${"x".repeat(10 * LIMIT)}\n`);
  await put("README.md", "not a fleet file\n");
  await put(".git/config.yaml", "git's own\n");
  await put("node_modules/pkg/package.json", "{}\n");
  await put("status/_commit.yaml", "phase: Applied\n");
  await symlink("a/x.yaml", join(root, "link.yaml"));
  await symlink("../../outside.yaml", join(root, "escape.yaml"));
  execFileSync("mkfifo", [join(root, "pipe.yaml")]);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("readDirectory", () => {
  it("reads fleet files only, sorted by path, with links as links and big files cut past the limit", async () => {
    const files = await readDirectory(root);
    expect(files.map((f) => f.path)).toEqual([
      "a-b/x.yaml",
      "a/x.yaml",
      "big.yaml",
      "bosun.yaml",
      "escape.yaml",
      "link.yaml",
      "status/_commit.yaml",
    ]);
    const byPath = new Map(files.map((f) => [f.path, f]));
    const linkText = new TextEncoder().encode("a/x.yaml");
    expect(byPath.get("link.yaml")).toEqual({ path: "link.yaml", bytes: linkText, linkTarget: "a/x.yaml" });
    expect(byPath.get("big.yaml")?.bytes.length).toBe(LIMIT + 1);
    expect(Buffer.from(byPath.get("a/x.yaml")?.bytes ?? []).toString()).toBe("a: 1\n");
  });

  it("gives the loader what it needs to report the big file and the escaping link", async () => {
    const result = loadFleet(await readDirectory(root));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const codes = result.diagnostics.map((d) => `${d.file} ${d.code}`);
    expect(codes).toContain("big.yaml FILE_TOO_LARGE");
    expect(codes).toContain("escape.yaml SYMLINK_ESCAPE");
  });

  it("leaves out excluded paths, folders included", async () => {
    const files = await readDirectory(root, undefined, { exclude: (p) => p === "status" || p === "big.yaml" });
    expect(files.map((f) => f.path)).not.toContain("status/_commit.yaml");
    expect(files.map((f) => f.path)).not.toContain("big.yaml");
  });

  it("refuses a root that is not a directory, with a stable code", async () => {
    const err = await readDirectory(join(root, "a/x.yaml")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BosunError);
    expect(err).toMatchObject({ code: "NOT_A_DIRECTORY" });
    expect((err as Error).message).toMatch(/a\/x\.yaml: is not a directory; pass the root of a fleet repo/);
  });
});
