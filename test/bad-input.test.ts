import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadFleet } from "../engine/desired/load-fleet.ts";
import { readDirectory } from "../engine/desired/read-directory.ts";

/**
 * The bad-input corpus: each folder under test/bad-input is a small fleet repo with one
 * problem. The expected diagnostics are written next to the offending line as
 * `# expect CODE [CODE…]`, or in expected.txt (`file:line CODE`) where a comment cannot go.
 */
const corpus = join(import.meta.dirname, "bad-input");
const cases = readdirSync(corpus).sort();

function expectations(dir: string, files: { path: string; bytes: Uint8Array }[]): string[] {
  const out: string[] = [];
  for (const f of files) {
    if (f.path === "expected.txt") continue;
    const lines = Buffer.from(f.bytes).toString("latin1").split("\n");
    lines.forEach((line, i) => {
      const m = /# expect ([A-Z_0-9 ]+)/.exec(line);
      for (const code of m?.[1]?.trim().split(/\s+/) ?? []) out.push(`${f.path}:${i + 1} ${code}`);
    });
  }
  try {
    out.push(...readFileSync(join(dir, "expected.txt"), "utf8").split("\n").filter(Boolean));
  } catch {
    // no expected.txt: the markers say it all
  }
  return out.sort();
}

describe("bad-input corpus", () => {
  it("has at least 30 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases)("%s is rejected with the exact code, file and line", async (name) => {
    const dir = join(corpus, name);
    const files = await readDirectory(dir);
    const expected = expectations(dir, files);
    expect(expected.length, "the case must declare what it expects").toBeGreaterThan(0);
    const result = loadFleet(files);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const got = result.diagnostics.map((d) => `${d.file}:${d.line} ${d.code}`).sort();
    expect(got).toEqual(expected);
    for (const d of result.diagnostics) {
      expect(d.message.length).toBeGreaterThan(10);
      expect(d.col).toBeGreaterThanOrEqual(1);
    }
  });
});
