/**
 * The production build of the engine (`npm run build` → dist/bosun.mjs, run by plain node without
 * the TypeScript transpiler) is a working CLI: it validates the example fleet and reports a bad one.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..");

async function bosun(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [join(root, "dist/bosun.mjs"), ...args], { cwd: root });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

describe("dist/bosun.mjs (npm run build)", () => {
  beforeAll(async () => {
    await run(process.execPath, [join(root, "bench/scale/build.mjs")], { cwd: root });
  }, 60_000);

  it("validates the example fleet (exit 0) and rejects an invalid one with file:line (exit 1)", async () => {
    const ok = await bosun("validate", "fleet-repo-example");
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.stdout).toMatch(/fleet-repo-example: valid, \d+ objects/);
    const bad = await bosun("validate", "test/bad-input/duplicate-key");
    expect(bad.code).toBe(1);
    expect(bad.stdout + bad.stderr).toContain("a.yaml:5:3: DUPLICATE_KEY");
  });
});
