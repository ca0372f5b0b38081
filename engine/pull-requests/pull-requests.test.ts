import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { buildPlan, type Plan } from "../plan/plan.ts";
import {
  DeliveryLog,
  evaluateReviews,
  GITHUB_BUDGET,
  invalidDescription,
  MAX_DESCRIPTION,
  parseMarker,
  parsePullRequestEvent,
  planDescription,
  renderInvalidComment,
  renderMarker,
  renderPlanComment,
  statusContext,
  syncComments,
  verifySignature,
  type ForgeComment,
  type ForgeReview,
} from "./index.ts";

const HEAD = "a".repeat(40);
const OLD = "b".repeat(40);

function plan(devices: number, approved = false): Plan {
  const names = Array.from({ length: devices }, (_, i) => `dev-${String(i).padStart(5, "0")}`);
  const canary = names.slice(0, Math.min(3, devices));
  const fleet = names.slice(canary.length);
  return buildPlan({
    commit: HEAD,
    objects: [
      {
        kind: "DeviceProcessDeployment",
        namespace: "infra",
        name: "agent",
        diff: {
          state: "changed",
          fields: [{ pointer: "/spec/template/spec/artifact/version", live: "v1", desired: "v2" }],
        },
      },
    ],
    deletions: [],
    rollouts: [
      {
        kind: "DeviceProcessDeployment",
        namespace: "infra",
        name: "agent",
        revision: "0123456789abcdef",
        strategy: "RollingUpdate",
        maxUnavailable: 2,
        targets: devices,
        unit: "device",
        toDelete: 0,
        waves: [
          {
            name: "canary",
            targets: canary.length,
            toUpdate: canary.length,
            approval: "auto",
            approved: true,
            disruption: "restart",
            devices: canary,
          },
          {
            name: "fleet",
            targets: fleet.length,
            toUpdate: fleet.length,
            approval: "required",
            approved,
            disruption: "restart",
            devices: fleet,
          },
        ],
      },
    ],
  });
}

const NOBODY = { approvedBy: [], notes: [] };

function render(p: Plan, extra: Partial<Parameters<typeof renderPlanComment>[0]> = {}): string[] {
  return renderPlanComment({
    scope: "default",
    plan: p,
    head: HEAD,
    since: "2026-11-30T12:00:00Z",
    verdict: NOBODY,
    approvers: ["@alice"],
    ...extra,
  });
}

describe("marker", () => {
  it("round-trips what an approval binds to", () => {
    const m = {
      scope: "prod/eu",
      part: 1,
      parts: 3,
      head: HEAD,
      digest: "0011223344556677",
      since: "2026-11-30T12:00:00Z",
      waves: [{ namespace: "infra", name: "agent", wave: "fleet", revision: "0123456789abcdef" }],
    };
    expect(parseMarker(`${renderMarker(m)}\nbody`)).toEqual(m);
    expect(parseMarker("hello <!-- bosun:plan v1 scope=x part=1/1 -->")).toBeUndefined();
    expect(parseMarker("<!-- bosun:plan v1 scope=bad scope part=1/1 -->")).toBeUndefined();
  });
});

describe("comment parts", () => {
  it("a small plan is one part: summary with per-wave rows and the approval line", () => {
    const [only, ...rest] = render(plan(6));
    expect(rest).toEqual([]);
    expect(parseMarker(only!)).toMatchObject({ part: 1, parts: 1, head: HEAD, waves: [{ wave: "fleet" }] });
    expect(only).toMatch(/\| canary \| 3 \/ 3 devices \| restart \| auto \|/);
    expect(only).toMatch(/\| fleet \| 3 \/ 3 devices \| restart \| \*\*waits\*\*/);
    expect(only).toContain("by @alice approves 1 wave for plan");
  });

  it("10,000 devices: split within GitHub's limits, summary first, each device once; joined again when it shrinks", () => {
    const parts = render(plan(10_000));
    expect(parts.length).toBeGreaterThanOrEqual(3);
    for (const [i, p] of parts.entries()) {
      expect(p.length).toBeLessThanOrEqual(GITHUB_BUDGET.chars);
      expect(Buffer.byteLength(p)).toBeLessThanOrEqual(GITHUB_BUDGET.bytes);
      expect(parseMarker(p)).toMatchObject({ part: i + 1, parts: parts.length });
    }
    expect(parts[0]).toContain(`Part 1 of ${parts.length}`);
    expect(parts[0]).not.toMatch(/^- `dev-/m);
    const listed = parts.flatMap((p) => [...p.matchAll(/^- `(dev-\d+)`$/gm)].map((m) => m[1]));
    expect(listed).toHaveLength(10_000);
    expect(new Set(listed).size).toBe(10_000);
    // A continued list repeats its heading.
    for (const p of parts.slice(1)) expect(p).toMatch(/^#### infra\/agent wave (canary|fleet)/m);
    expect(render(plan(6))).toHaveLength(1);
  });

  it("reconciles comments: edits part i in place, creates missing parts, deletes leftovers and duplicates", () => {
    const three = render(plan(10_000));
    const own = (id: number, body: string): ForgeComment => ({ id, body, user: "bot" });
    const others: ForgeComment[] = [
      { id: 1, body: three[0]!, user: "mallory" }, // someone copying our marker: never touched
      { id: 2, body: renderMarker({ scope: "staging", part: 1, parts: 1 }), user: "bot" }, // another scope
    ];
    const created = syncComments(others, "bot", "default", three);
    expect(created.map((o) => o.op)).toEqual(three.map(() => "create"));
    const existing = [...others, ...three.map((b, i) => own(10 + i, b)), own(99, three[1]!)];
    expect(syncComments(existing, "bot", "default", three)).toEqual([{ op: "delete", id: 99, part: 2 }]);
    const one = render(plan(6));
    const shrink = syncComments(existing, "bot", "default", one);
    expect(shrink).toEqual([
      { op: "update", id: 10, part: 1, body: one[0] },
      ...[11, 12, 99, ...three.slice(3).map((_, i) => 13 + i)]
        .sort((a, b) => a - b)
        .map((id) => ({ op: "delete", id, part: expect.any(Number) as number })),
    ]);
  });

  it("invalid files: every problem as file:line:col", () => {
    const [c] = renderInvalidComment({
      scope: "default",
      head: HEAD,
      diagnostics: [
        { file: "devices/a.yaml", line: 5, col: 3, pointer: "", code: "DUPLICATE_KEY", message: "duplicate key x" },
      ],
    });
    expect(c).toContain("`devices/a.yaml:5:3: DUPLICATE_KEY duplicate key x`");
  });
});

describe("commit status", () => {
  it("context per scope; description within 140 characters with counts and the short digest", () => {
    expect(statusContext("default")).toBe("bosun/plan");
    expect(statusContext("eu")).toBe("bosun/plan/eu");
    const p = plan(10_000);
    const d = planDescription(p);
    expect(d).toBe(`1 to update, 10000 devices to update, 1 wave need approval · plan ${p.digest.slice(0, 12)}`);
    const many = buildPlan({
      commit: HEAD,
      objects: Array.from({ length: 5 }, (_, i) => ({
        kind: `VeryLongKindName${i}`,
        namespace: "n",
        name: `x${i}`,
        diff: { state: "missing" as const, fields: [] },
      })),
      deletions: Array.from({ length: 3 }, (_, i) => ({ kind: "K", namespace: "n", name: `d${i}` })),
      rollouts: [],
    });
    expect(planDescription(many).length).toBeLessThanOrEqual(MAX_DESCRIPTION);
    const long = invalidDescription([
      { file: `${"deep/".repeat(40)}a.yaml`, line: 7, col: 1, pointer: "", code: "YAML_SYNTAX", message: "x" },
    ]);
    expect(long.length).toBeLessThanOrEqual(MAX_DESCRIPTION);
  });
});

describe("review approvals", () => {
  const review = (r: Partial<ForgeReview>): ForgeReview => ({
    id: 1,
    user: "alice",
    state: "approved",
    commitId: HEAD,
    stale: false,
    dismissed: false,
    official: true,
    submittedAt: "2026-11-30T12:05:00Z",
    ...r,
  });
  const policy = { logins: ["alice"], teams: { sre: ["dave"] } };
  const verdict = (reviews: ForgeReview[], author?: string) =>
    evaluateReviews({
      reviews,
      head: HEAD,
      since: "2026-11-30T12:00:00Z",
      digest: "d1",
      policy,
      ...(author ? { author } : {}),
    });

  it("counts an approval on the current head after the plan was shown, by a listed login or team member", () => {
    expect(verdict([review({}), review({ id: 2, user: "dave" })]).approvedBy).toEqual(["alice", "dave"]);
  });

  it("does not count: an older head, stale, dismissed, unofficial, not listed, before the digest, the author", () => {
    const cases: [Partial<ForgeReview>, RegExp][] = [
      [{ commitId: OLD }, /older head commit `bbbbbbbbbbbb`/],
      [{ stale: true }, /stale/],
      [{ dismissed: true }, /dismissed/],
      [{ official: false }, /not an official approval/],
      [{ user: "mallory" }, /not an approver in bosun.yaml/],
      [{ submittedAt: "2026-11-30T11:59:59Z" }, /approved before plan `d1` was shown/],
    ];
    for (const [r, why] of cases) {
      const v = verdict([review(r)]);
      expect(v.approvedBy).toEqual([]);
      expect(v.notes.join("\n")).toMatch(why);
    }
    expect(verdict([review({})], "alice").notes[0]).toMatch(/author cannot approve/);
  });

  it("a later request for changes takes the approval back", () => {
    const v = verdict([review({}), review({ id: 2, state: "changes-requested", submittedAt: "2026-11-30T12:06:00Z" })]);
    expect(v.approvedBy).toEqual([]);
  });
});

describe("webhooks", () => {
  const body = Buffer.from(
    JSON.stringify({ action: "synchronized", number: 4, pull_request: { head: { sha: HEAD } } }),
  );
  const hex = (secret: string): string => createHmac("sha256", secret).update(body).digest("hex");

  it("verifies Gitea's bare hex, GitHub's sha256=, Forgejo's; every signature header present must match", () => {
    expect(verifySignature({ "x-gitea-signature": hex("s") }, body, "s")).toBe(true);
    expect(verifySignature({ "x-hub-signature-256": `sha256=${hex("s")}` }, body, "s")).toBe(true);
    expect(verifySignature({ "x-forgejo-signature": hex("s") }, body, "s")).toBe(true);
    expect(
      verifySignature({ "x-gitea-signature": hex("s"), "x-hub-signature-256": `sha256=${hex("t")}` }, body, "s"),
    ).toBe(false);
    expect(verifySignature({ "x-gitea-signature": hex("t") }, body, "s")).toBe(false);
    expect(verifySignature({ "x-gitea-signature": "" }, body, "s")).toBe(false);
    expect(verifySignature({ "x-hub-signature-256": hex("s") }, body, "s")).toBe(false); // no sha256= prefix
    expect(verifySignature({}, body, "s")).toBe(false);
    expect(verifySignature({ "x-gitea-signature": hex("") }, body, "")).toBe(false);
  });

  it("reads PR and review events of both forges", () => {
    expect(parsePullRequestEvent({ "x-gitea-event": "pull_request" }, body)).toEqual({
      type: "pull_request",
      number: 4,
      action: "synchronized",
      headSha: HEAD,
      merged: false,
    });
    const gh = Buffer.from(
      JSON.stringify({ action: "closed", number: 9, pull_request: { merged: true, head: { sha: HEAD } } }),
    );
    expect(parsePullRequestEvent({ "x-github-event": "pull_request" }, gh)).toMatchObject({
      action: "closed",
      merged: true,
    });
    const review = Buffer.from(
      JSON.stringify({ action: "reviewed", number: 4, review: { type: "pull_request_review_approved" } }),
    );
    expect(parsePullRequestEvent({ "x-gitea-event": "pull_request_approved" }, review)).toEqual({
      type: "review",
      number: 4,
      action: "reviewed",
    });
    expect(
      parsePullRequestEvent(
        { "x-github-event": "pull_request_review" },
        Buffer.from('{"action":"submitted","number":4}'),
      ),
    ).toMatchObject({ type: "review" });
    expect(parsePullRequestEvent({ "x-github-event": "push" }, body)).toMatchObject({ type: "ignored" });
    expect(parsePullRequestEvent({ "x-github-event": "pull_request" }, Buffer.from("not json"))).toMatchObject({
      type: "ignored",
    });
  });

  it("drops a replayed delivery id", () => {
    const log = new DeliveryLog(2);
    expect([log.admit("a"), log.admit("a"), log.admit("b"), log.admit("c"), log.admit("a")]).toEqual([
      true,
      false,
      true,
      true,
      true,
    ]);
  });
});
