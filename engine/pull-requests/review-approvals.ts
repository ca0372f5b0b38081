/**
 * Which review approvals count for the plan shown at a PR head. A review counts only when it
 * approves, is on the current head commit, is neither stale nor dismissed (and official on Gitea),
 * comes from an approver bosun.yaml allows, and was given after the current plan digest was first
 * shown. A reviewer's latest review wins (a later "changes requested" takes the approval back).
 * Every review that does not count gets a note saying why, for the comment. Pure.
 */
import type { ForgeReview } from "./types.ts";

/** `pullRequests.approvers` of bosun.yaml. */
export interface ApproverPolicy {
  readonly logins: readonly string[];
  /** Team name → member logins. */
  readonly teams: Readonly<Record<string, readonly string[]>>;
}

export const NO_APPROVERS: ApproverPolicy = { logins: [], teams: {} };

export interface ApprovalVerdict {
  /** Logins whose approval counts, sorted. */
  readonly approvedBy: readonly string[];
  /** One line per review that does not count, naming the reviewer and why. */
  readonly notes: readonly string[];
}

/** How an approver is allowed: `login`, or `team NAME`; undefined when not allowed. */
export function allowedAs(policy: ApproverPolicy, login: string): string | undefined {
  const lower = login.toLowerCase();
  if (policy.logins.some((l) => l.toLowerCase() === lower)) return "login";
  for (const [team, members] of Object.entries(policy.teams).sort(([a], [b]) => (a < b ? -1 : 1)))
    if (members.some((m) => m.toLowerCase() === lower)) return `team ${team}`;
  return undefined;
}

export function evaluateReviews(input: {
  readonly reviews: readonly ForgeReview[];
  readonly head: string;
  /** ISO time the current plan digest was first shown at this head. */
  readonly since: string;
  readonly digest: string;
  readonly policy: ApproverPolicy;
  /** The PR's author cannot approve their own plan. */
  readonly author?: string;
}): ApprovalVerdict {
  const latest = new Map<string, ForgeReview>();
  for (const r of [...input.reviews].sort((a, b) => (a.submittedAt < b.submittedAt ? -1 : a.id - b.id))) {
    if (r.state === "commented" || r.state === "other") continue;
    latest.set(r.user.toLowerCase(), r);
  }
  const approvedBy: string[] = [];
  const notes: string[] = [];
  const since = Date.parse(input.since);
  for (const r of [...latest.values()].sort((a, b) => (a.user < b.user ? -1 : 1))) {
    if (r.state !== "approved") continue;
    const who = `@${r.user}`;
    const short = r.commitId.slice(0, 12);
    if (r.dismissed) notes.push(`${who}: approval dismissed, not counted`);
    else if (r.commitId !== input.head)
      notes.push(`${who}: approval is on an older head commit \`${short}\`, not counted; re-approve the current head`);
    else if (r.stale) notes.push(`${who}: approval is stale (the head moved), not counted`);
    else if (!r.official) notes.push(`${who}: not an official approval on this branch, not counted`);
    else if (input.author && r.user.toLowerCase() === input.author.toLowerCase())
      notes.push(`${who}: the PR's author cannot approve its plan`);
    else if (!allowedAs(input.policy, r.user))
      notes.push(`${who}: not an approver in bosun.yaml (pullRequests.approvers), not counted`);
    else if (!(Date.parse(r.submittedAt) >= since))
      notes.push(
        `${who}: approved before plan \`${input.digest}\` was shown (the plan changed), not counted; re-approve`,
      );
    else approvedBy.push(r.user);
  }
  return { approvedBy, notes };
}
