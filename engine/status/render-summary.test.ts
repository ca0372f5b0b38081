import { describe, expect, it } from "vitest";
import { cell, renderSummary } from "./render-summary.ts";
import type { CommitStatus, ObjectStatus } from "./types.ts";

const commit: CommitStatus = { repo: "r", ref: "main", phase: "Applied", observedCommit: "b".repeat(40) };

function rollout(name: string, extra: Partial<ObjectStatus> = {}): ObjectStatus {
  return {
    kind: "DeviceProcessDeployment",
    namespace: "infra-system",
    name,
    source: `devices/${name}.yaml:1`,
    observedCommit: "a".repeat(40),
    phase: "WaitingForApproval",
    counts: { desired: 12, current: 12, ready: 11, available: 11, unavailable: 1, updated: 4, failing: 0 },
    waves: [
      { name: "canary", state: "done", approval: "auto", total: 4, updated: 4, ready: 4, failed: 0, unreachable: 0 },
      {
        name: "fleet",
        state: "waiting-approval",
        approval: "required",
        total: 8,
        updated: 0,
        ready: 7,
        failed: 0,
        unreachable: 0,
      },
    ],
    ...extra,
  };
}

/** Every table line of a markdown text has the header's number of unescaped pipes. */
function tableShapes(text: string): number[] {
  return text
    .split("\n")
    .filter((l) => l.startsWith("|"))
    .map((l) => l.replace(/\\\|/g, "").split("|").length);
}

describe("STATUS.md", () => {
  it("shows counts and waves per rollout", () => {
    const text = renderSummary(commit, [rollout("switch-agent")], 1_048_576);
    expect(text).toContain("| object | phase | counts | waves | commit | source | message |");
    expect(text).toContain(
      "| DeviceProcessDeployment/infra-system/switch-agent | WaitingForApproval | ready 11/12 · updated 4 · unavailable 1 | canary done 4/4 → fleet waiting-approval 0/8 |",
    );
  });

  it("truncates whole rows, keeps the table intact and says how many were left out", () => {
    const objects = Array.from({ length: 200 }, (_, i) =>
      rollout(`agent-${String(i).padStart(3, "0")}`, { lastError: `x|y`.repeat(100) }),
    );
    const text = renderSummary(commit, objects, 8_000);
    expect(new TextEncoder().encode(text).length).toBeLessThanOrEqual(8_000);
    const shapes = tableShapes(text);
    expect(shapes.length).toBeGreaterThan(3);
    expect(new Set(shapes)).toEqual(new Set([shapes[0]]));
    const shown = shapes.length - 2;
    expect(text).toMatch(new RegExp(`_${200 - shown} more objects not shown: STATUS.md is capped at 8000 bytes`));
    expect(text).toMatch(/\|\n\n_\d+ more objects/);
  });

  it("cuts a long cell at a character boundary with an ellipsis, never inside an escape", () => {
    expect(cell(`${"a".repeat(198)}|bbb`)).toBe(`${"a".repeat(198)}\\|…`);
    const emoji = "😀".repeat(300);
    expect([...cell(emoji)].length).toBe(200);
    expect(cell(emoji).endsWith("…")).toBe(true);
    expect(cell("a\\|b")).toBe("a\\\\\\|b");
  });
});
