import { describe, expect, it } from "vitest";
import { loadFleet } from "../desired/load-fleet.ts";
import { approvalDocument, checkApprovals } from "./approvals.ts";

describe("approvals", () => {
  it("writes an approval file the loader accepts, bound to one revision", () => {
    const doc = approvalDocument({ namespace: "infra", name: "agent", wave: "fleet", revision: "0123456789abcdef", approvedBy: "ops", folder: "approvals/" });
    expect(doc.path).toBe("approvals/infra/agent/fleet-0123456789abcdef.yaml");
    const loaded = loadFleet([{ path: doc.path, bytes: new TextEncoder().encode(doc.text) }]);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
    const ok = checkApprovals(loaded.approvals, { namespace: "infra", name: "agent" }, "0123456789abcdef");
    expect([...ok.approved]).toEqual(["fleet"]);
    const stale = checkApprovals(loaded.approvals, { namespace: "infra", name: "agent" }, "fedcba9876543210");
    expect(stale.approved.size).toBe(0);
    expect(stale.refused[0]).toContain("approves wave fleet of revision 0123456789abcdef, not the current revision fedcba9876543210: refused");
    expect(checkApprovals(loaded.approvals, { namespace: "infra", name: "other" }, "0123456789abcdef").approved.size).toBe(0);
  });
});
