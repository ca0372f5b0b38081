import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const KIND_NAMES = /\b(FARAgent|TenantCluster|WorkloadCluster|EdgeWorkload|DeviceProcessDeployment|DeviceProcess)\b/;

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(dir, f));
}

describe("the reconcile core and the plan", () => {
  it("name no kind: kinds are looked up in their registrations", () => {
    const files = [...sources("engine/reconcile"), ...sources("engine/plan")];
    expect(files.length).toBeGreaterThan(5);
    const offenders = files.flatMap((file) =>
      readFileSync(join(root, file), "utf8")
        .split("\n")
        .map((line, i) => ({ file, line: i + 1, text: line }))
        .filter(({ text }) => KIND_NAMES.test(text)),
    );
    expect(offenders).toEqual([]);
  });
});
