import { describe, expect, it } from "vitest";
import { loadFleet } from "../desired/load-fleet.ts";
import { approvalDocument, checkApprovals } from "./approvals.ts";

const REVISION = "0123456789abcdef";

function loadedApproval(): ReturnType<typeof loadFleet> & { ok: true } {
  const doc = approvalDocument({
    namespace: "infra",
    name: "agent",
    wave: "fleet",
    revision: REVISION,
    approvedBy: "ops",
    folder: "approvals/",
  });
  expect(doc.path).toBe(`approvals/infra/agent/fleet-${REVISION}.yaml`);
  const loaded = loadFleet([{ path: doc.path, bytes: new TextEncoder().encode(doc.text) }]);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
  return loaded;
}

const agent = { kind: "DeviceProcessDeployment", namespace: "infra", name: "agent" };

function approvalText(a: { body: Record<string, unknown> }): string {
  const spec = a.body["spec"] as { wave: string; revision: string };
  return approvalDocument({
    namespace: "infra",
    name: "agent",
    wave: spec.wave,
    revision: spec.revision,
    approvedBy: "ops",
    folder: "approvals/",
  }).text;
}

describe("approvals", () => {
  it("writes an approval file the loader accepts, bound to one revision", () => {
    const { approvals } = loadedApproval();
    expect([...checkApprovals(approvals, agent, REVISION).approved]).toEqual(["fleet"]);
    const stale = checkApprovals(approvals, agent, "fedcba9876543210");
    expect(stale.approved.size).toBe(0);
    expect(stale.refused[0]).toContain(
      `approves wave fleet of revision ${REVISION}, not the current revision fedcba9876543210: refused`,
    );
  });

  it("matches the object by kind, namespace and name", () => {
    const { approvals } = loadedApproval();
    expect(checkApprovals(approvals, { ...agent, name: "other" }, REVISION).approved.size).toBe(0);
    expect(checkApprovals(approvals, { ...agent, namespace: "edge" }, REVISION).approved.size).toBe(0);
    const otherKind = checkApprovals(approvals, { ...agent, kind: "EdgeWorkload" }, REVISION);
    expect(otherKind).toEqual({ approved: new Set(), refused: [], obsolete: [] });
  });

  it("refuses an unknown revision only for a required wave that still lacks its approval", () => {
    const { approvals } = loadedApproval();
    const fleet = (approval: "required" | "auto") => [{ name: "fleet", approval }];
    const waiting = checkApprovals(approvals, agent, "fedcba9876543210", { waves: fleet("required") });
    expect(waiting.refused[0]).toContain(`approves wave fleet of revision ${REVISION}, not the current revision`);
    expect(waiting.obsolete).toEqual([]);
    const auto = checkApprovals(approvals, agent, "fedcba9876543210", { waves: fleet("auto") });
    expect(auto.refused).toEqual([]);
    expect(auto.obsolete).toEqual([
      `approvals/infra/agent/fleet-${REVISION}.yaml (wave fleet of revision ${REVISION}, not current)`,
    ]);
    const current = approvalDocument({
      namespace: "infra",
      name: "agent",
      wave: "fleet",
      revision: "fedcba9876543210",
      approvedBy: "ops",
      folder: "approvals/",
    });
    const both = loadFleet([
      ...[approvals[0]!].map((a) => ({ path: a.source.file, bytes: new TextEncoder().encode(approvalText(a)) })),
      { path: current.path, bytes: new TextEncoder().encode(current.text) },
    ]);
    if (!both.ok) throw new Error(JSON.stringify(both.diagnostics));
    const approvedNow = checkApprovals(both.approvals, agent, "fedcba9876543210", { waves: fleet("required") });
    expect([...approvedNow.approved]).toEqual(["fleet"]);
    expect(approvedNow.refused).toEqual([]);
    expect(approvedNow.obsolete).toHaveLength(1);
  });

  it("reports approvals of an earlier revision as obsolete, not refused", () => {
    const { approvals } = loadedApproval();
    const next = checkApprovals(approvals, agent, "fedcba9876543210", { history: [REVISION] });
    expect(next.refused).toEqual([]);
    expect(next.obsolete).toEqual([
      `approvals/infra/agent/fleet-${REVISION}.yaml (wave fleet of earlier revision ${REVISION})`,
    ]);
    expect(next.approved.size).toBe(0);
  });

  it("refuses an approval of the current revision for a wave the object does not have", () => {
    const { approvals } = loadedApproval();
    const waves = [
      { name: "canary", approval: "auto" as const },
      { name: "rest", approval: "required" as const },
    ];
    const check = checkApprovals(approvals, agent, REVISION, { waves });
    expect(check.approved.size).toBe(0);
    expect(check.refused[0]).toContain("has no wave fleet (waves: canary, rest): refused");
  });
});
