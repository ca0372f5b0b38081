import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { renderStatusFiles } from "./documents.ts";
import { isOwnedStatusPath, objectStatusPath } from "./paths.ts";
import { renderCommitStatus, renderObjectStatus } from "./render-object.ts";
import { capText } from "./truncate.ts";
import type { ObjectStatus } from "./types.ts";

const obj: ObjectStatus = {
  kind: "DeviceProcessDeployment",
  namespace: "edge",
  name: "switch-agent",
  source: "devices/switch-agent.yaml:3",
  observedCommit: "a".repeat(40),
  phase: "Progressing",
  counts: { updated: 3, targets: 10, ready: 2 },
  conditions: [
    { type: "Ready", status: "False", reason: "Rolling", message: "3/10 updated" },
    { type: "Available", status: "True" },
  ],
};

describe("status rendering", () => {
  it("renders an object with a deterministic key order, sorted counts and conditions", () => {
    const text = renderObjectStatus(obj, 65_536);
    expect(text).toBe(
      renderObjectStatus(
        { ...obj, counts: { ready: 2, targets: 10, updated: 3 }, conditions: [...obj.conditions!].reverse() },
        65_536,
      ),
    );
    expect(Object.keys(parse(text) as object)).toEqual([
      "apiVersion",
      "kind",
      "object",
      "observedCommit",
      "phase",
      "counts",
      "conditions",
    ]);
    expect(text).toContain("counts:\n  ready: 2\n  targets: 10\n  updated: 3\n");
    expect(text.indexOf("type: Available")).toBeLessThan(text.indexOf("type: Ready"));
  });
  it("groups an invalid commit's diagnostics per file", () => {
    const text = renderCommitStatus(
      {
        repo: "r",
        ref: "main",
        phase: "Invalid",
        diagnostics: ["b.yaml:2:1: YAML_SYNTAX x", "a.yaml:9:3: MISSING_KIND y", "a.yaml:1:1: UNKNOWN_KIND z"],
      },
      65_536,
    );
    const doc = parse(text) as { errors: { file: string; diagnostics: string[] }[] };
    expect(doc.errors).toEqual([
      { file: "a.yaml", diagnostics: ["a.yaml:1:1: UNKNOWN_KIND z", "a.yaml:9:3: MISSING_KIND y"] },
      { file: "b.yaml", diagnostics: ["b.yaml:2:1: YAML_SYNTAX x"] },
    ]);
  });
  it("caps a file with a truncation marker", () => {
    const big = renderObjectStatus({ ...obj, lastError: "e".repeat(10_000) }, 1_000);
    expect(new TextEncoder().encode(big).length).toBeLessThanOrEqual(1_000);
    expect(big).toMatch(/# truncated by bosun: \d+ of \d+ bytes omitted\n$/);
    expect(capText("short\n", 100)).toBe("short\n");
  });
  it("puts files at safe paths and knows which ones it owns", () => {
    expect(objectStatusPath(obj)).toBe("objects/DeviceProcessDeployment/edge/switch-agent.yaml");
    expect(objectStatusPath({ kind: "Namespace", namespace: "", name: "../x" })).toBe(
      "objects/Namespace/_cluster/.._x.yaml",
    );
    expect(isOwnedStatusPath("objects/A/b/c.yaml")).toBe(true);
    expect(isOwnedStatusPath("notes/human.md")).toBe(false);
    const files = renderStatusFiles({ commit: { repo: "r", ref: "main", phase: "Applied" }, objects: [obj] });
    expect([...files.files.keys()].sort()).toEqual([
      "STATUS.md",
      "_commit.yaml",
      "objects/DeviceProcessDeployment/edge/switch-agent.yaml",
    ]);
    expect(files.files.get("STATUS.md")).toContain("| DeviceProcessDeployment/edge/switch-agent | Progressing |");
  });
});
