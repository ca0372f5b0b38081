import { describe, expect, it } from "vitest";
import type { RolloutReport } from "../../engine/kinds/registration.ts";
import type { FleetObject } from "../../engine/model/fleet-object.ts";
import type { PassReport } from "../../engine/reconcile/fleet-reconciler.ts";
import { ProgressPrinter } from "./progress.ts";

function pass(summary: string, phase: string, refused: string[] = []): PassReport {
  const rollout: RolloutReport = {
    object: { kind: "DeviceProcessDeployment", namespace: "infra", name: "switch-agent" } as FleetObject,
    status: { kind: "DeviceProcessDeployment", namespace: "infra", name: "switch-agent", observedCommit: "c", phase },
    progressing: phase === "Progressing",
    summary,
    ...(refused.length > 0 ? { refusedApprovals: refused } : {}),
  };
  return { commit: "c".repeat(40), changes: [], rollouts: [rollout], progressing: false } as unknown as PassReport;
}

describe("npm start progress", () => {
  it("prints a refused approval once, and again only when the refusals change", () => {
    const lines: string[] = [];
    const printer = new ProgressPrinter(
      (l) => lines.push(l),
      () => lines.push("DONE"),
    );
    const refusal =
      "approval x (approvals/x.yaml) approves wave fleet of revision 0bad, not the current revision r: refused";
    printer.report(pass("switch-agent: WaitingForApproval", "WaitingForApproval", [refusal]));
    printer.report(pass("switch-agent: WaitingForApproval", "WaitingForApproval", [refusal]));
    expect(lines.filter((l) => l.includes("refused"))).toEqual([`  ! switch-agent: ${refusal}`]);
    printer.report(pass("switch-agent: Complete", "Ready"));
    expect(lines.at(-1)).toBe("DONE");
  });
});
