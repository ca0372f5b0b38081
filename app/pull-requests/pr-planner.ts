/**
 * One PR, one pass: read the PR, put the status on pending, fetch `refs/pull/N/head` (and the
 * merge base) into the PR mirror, load the fleet at the head, plan it against live state, evaluate
 * the reviews, then edit the comment in place and set the status (success, or failure with
 * file:line when the fleet files are invalid). A merged PR whose current-head plan was approved
 * gets its approval files committed to the base branch, as `bosun approve` writes them.
 */
import type { ForgeClient } from "../../clients/forge/index.ts";
import {
  approvalDocument,
  commitFiles,
  evaluateReviews,
  FleetTreeReader,
  invalidDescription,
  loadFleet,
  NO_APPROVERS,
  PENDING_DESCRIPTION,
  planDescription,
  renderInvalidComment,
  renderMarker,
  renderPlanComment,
  renderPlanText,
  statusContext,
  type ApproverPolicy,
  type Budget,
  type DesiredState,
  type ForgePull,
  type GitMirror,
  type Logger,
  type Plan,
} from "../../engine/index.ts";
import { ownFirstPart, publishComments, StatusPoster } from "./publish.ts";

export interface PlannerOptions {
  readonly forge: ForgeClient;
  readonly mirror: GitMirror;
  /** The plan of a valid desired state against live state (the engine's backends). */
  readonly plan: (desired: DesiredState, commit: string, signal: AbortSignal) => Promise<Plan>;
  readonly logger: Logger;
  readonly scope: string;
  /** Link to the full plan of PR N (the status's target_url). */
  readonly planUrl?: (number: number) => string;
  readonly identity?: { name: string; email: string };
  readonly budget?: Budget;
  readonly now?: () => Date;
}

export type PlanOutcome =
  | { readonly kind: "planned"; readonly head: string; readonly digest: string }
  | { readonly kind: "invalid"; readonly head: string; readonly problems: number }
  | { readonly kind: "merged"; readonly committed?: string; readonly why: string }
  | { readonly kind: "closed" };

const iso = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, "Z");

export class PullRequestPlanner {
  private login: string | undefined;
  private readonly statuses: StatusPoster;
  /** The approvers of the base branch's last seen commit. */
  private readonly policies = new Map<string, ApproverPolicy>();
  /** The full plan text per PR, for the status link. */
  readonly plans = new Map<number, string>();

  constructor(private readonly o: PlannerOptions) {
    this.statuses = new StatusPoster(o.forge);
  }

  private now(): Date {
    return this.o.now?.() ?? new Date();
  }

  async whoami(signal?: AbortSignal): Promise<string> {
    this.login ??= await this.o.forge.whoami(signal);
    return this.login;
  }

  private async loadAt(commit: string, signal: AbortSignal): Promise<ReturnType<typeof loadFleet>> {
    const files = await new FleetTreeReader(this.o.mirror.gitdir, this.o.mirror.cache).read(commit, { signal });
    return loadFleet(files);
  }

  /** The approvers of the PR's base branch (never the PR's own bosun.yaml: a PR cannot name its approvers). */
  private async policy(pull: ForgePull, signal: AbortSignal): Promise<ApproverPolicy> {
    const base = await this.o.mirror.fetchRevision(pull.baseRef, signal);
    const known = this.policies.get(base.commit);
    if (known) return known;
    const loaded = await this.loadAt(base.commit, signal);
    const policy = loaded.ok ? (loaded.config.pullRequests?.approvers ?? NO_APPROVERS) : NO_APPROVERS;
    this.policies.clear(); // one base commit at a time is enough
    this.policies.set(base.commit, policy);
    return policy;
  }

  pull(number: number, signal: AbortSignal): Promise<ForgePull> {
    return this.o.forge.getPull(number, signal);
  }

  async run(number: number, signal: AbortSignal): Promise<PlanOutcome> {
    const { forge, scope, logger } = this.o;
    const started = performance.now();
    const pull = await forge.getPull(number, signal);
    if (pull.merged) return this.afterMerge(pull, signal);
    if (pull.state !== "open") return { kind: "closed" };
    const login = await this.whoami(signal);
    const context = statusContext(scope);
    const head = pull.headSha;
    const targetUrl = this.o.planUrl?.(number);
    // Pending on a new head; a re-plan of the same head (a review, the poll) keeps its last status until it ends.
    if (!this.statuses.has(head, context))
      await this.statuses.post(
        head,
        { state: "pending", context, description: PENDING_DESCRIPTION, ...(targetUrl ? { targetUrl } : {}) },
        signal,
      );
    const fetched = await this.o.mirror.fetchRevision(`refs/pull/${number}/head`, signal);
    // The ref moved past the head the forge told us about: plan what the forge says (its status goes there).
    const commit = fetched.commit === head ? head : (await this.o.mirror.fetchRevision(head, signal)).commit;
    if (pull.mergeBase) await this.o.mirror.fetchRevision(pull.mergeBase, signal).catch(() => undefined);
    const loaded = await this.loadAt(commit, signal);
    const fetchedAt = performance.now();
    const comments = await forge.listComments(number, signal);
    if (!loaded.ok) {
      const parts = renderInvalidComment({
        scope,
        head,
        diagnostics: loaded.diagnostics,
        ...(this.o.budget ? { budget: this.o.budget } : {}),
      });
      await publishComments(forge, { number, login, scope, parts, logger }, signal, comments);
      await this.statuses.post(
        head,
        {
          state: "failure",
          context,
          description: invalidDescription(loaded.diagnostics),
          ...(targetUrl ? { targetUrl } : {}),
        },
        signal,
      );
      this.plans.set(number, parts.join("\n"));
      logger.info({ pr: number, head, problems: loaded.diagnostics.length }, "pr: invalid fleet files at the head");
      return { kind: "invalid", head, problems: loaded.diagnostics.length };
    }
    const planStart = performance.now();
    const plan = await this.o.plan(loaded, commit, signal);
    const planMs = Math.round(performance.now() - planStart);
    const previous = ownFirstPart(comments, login, scope)?.marker;
    const same = previous?.head === head && previous.digest === plan.digest && previous.since !== undefined;
    const since = same ? previous.since! : iso(this.now());
    const [reviews, policy] = await Promise.all([forge.listReviews(number, signal), this.policy(pull, signal)]);
    const verdict = evaluateReviews({
      reviews,
      head,
      since,
      digest: plan.digest,
      policy,
      ...(pull.author ? { author: pull.author } : {}),
    });
    const invalidated =
      previous?.digest && !same
        ? `The plan changed since the last comment (${previous.head !== head ? `new head \`${head.slice(0, 12)}\`` : `new plan digest \`${plan.digest}\``}): approvals given before ${since} do not count.`
        : undefined;
    const parts = renderPlanComment({
      scope,
      plan,
      head,
      since,
      verdict,
      approvers: [...policy.logins.map((l) => `@${l}`), ...Object.keys(policy.teams).map((t) => `team ${t}`)],
      ...(targetUrl ? { planUrl: targetUrl } : {}),
      ...(invalidated ? { invalidated } : {}),
      ...(this.o.budget ? { budget: this.o.budget } : {}),
    });
    const published = await publishComments(forge, { number, login, scope, parts, logger }, signal, comments);
    await this.statuses.post(
      head,
      { state: "success", context, description: planDescription(plan), ...(targetUrl ? { targetUrl } : {}) },
      signal,
    );
    this.plans.set(number, renderPlanText(plan));
    logger.info(
      {
        pr: number,
        head,
        digest: plan.digest,
        parts: parts.length,
        approvedBy: verdict.approvedBy,
        ...published,
        ms: {
          total: Math.round(performance.now() - started),
          fetchAndLoad: Math.round(fetchedAt - started),
          plan: planMs,
        },
      },
      "pr: plan comment and status updated",
    );
    return { kind: "planned", head, digest: plan.digest };
  }

  /** After a merge: commits the approval files of the waves an approval of the merged head's plan approved. */
  private async afterMerge(pull: ForgePull, signal: AbortSignal): Promise<PlanOutcome> {
    const { forge, scope, logger } = this.o;
    const login = await this.whoami(signal);
    const comments = await forge.listComments(pull.number, signal);
    const first = ownFirstPart(comments, login, scope);
    const marker = first?.marker;
    if (!first || !marker?.head || !marker.digest || !marker.since)
      return { kind: "merged", why: "the PR has no plan comment of this scope" };
    if (marker.committed)
      return { kind: "merged", committed: marker.committed, why: "approval files already committed" };
    if (marker.head !== pull.headSha)
      return {
        kind: "merged",
        why: `the merged head ${pull.headSha} was never planned (the comment is for ${marker.head})`,
      };
    if (!marker.waves || marker.waves.length === 0)
      return { kind: "merged", why: "the plan had no wave waiting for approval" };
    const [reviews, policy] = await Promise.all([forge.listReviews(pull.number, signal), this.policy(pull, signal)]);
    const verdict = evaluateReviews({
      reviews,
      head: pull.headSha,
      since: marker.since,
      digest: marker.digest,
      policy,
      ...(pull.author ? { author: pull.author } : {}),
    });
    if (verdict.approvedBy.length === 0) {
      logger.info(
        { pr: pull.number, notes: verdict.notes },
        "pr: merged without an approval of its plan; nothing committed",
      );
      return { kind: "merged", why: "no approval of the merged head's plan" };
    }
    const base = await this.o.mirror.fetchRevision(pull.baseRef, signal);
    const loaded = await this.loadAt(base.commit, signal);
    const folder = loaded.ok ? loaded.config.paths.approvals : "approvals/";
    const approvedBy = `${verdict.approvedBy.join(", ")} (review of PR #${pull.number} at ${pull.headSha.slice(0, 12)}, plan ${marker.digest})`;
    const files = new Map<string, string>();
    for (const w of marker.waves) {
      const doc = approvalDocument({
        namespace: w.namespace,
        name: w.name,
        wave: w.wave,
        revision: w.revision,
        approvedBy,
        folder,
      });
      files.set(doc.path, doc.text);
    }
    const commit = await commitFiles(
      this.o.mirror,
      pull.baseRef,
      files,
      `Approve ${marker.waves.map((w) => `${w.namespace}/${w.name} ${w.wave}`).join(", ")} (PR #${pull.number}, plan ${marker.digest})\n\nApproved by ${approvedBy}.`,
      this.o.identity ?? { name: "Bosun", email: "bosun@localhost" },
      signal,
    );
    const sha = commit ?? base.commit;
    const body = first.comment.body.replace(
      /^<!-- bosun:plan v1 [^\n]*-->/,
      renderMarker({ ...marker, committed: sha }),
    );
    await forge.editComment(
      first.comment.id,
      `${body.trimEnd()}\n\nMerged: approval files committed by Bosun in \`${sha.slice(0, 12)}\` (${[...files.keys()].join(", ")}).\n`,
      signal,
    );
    logger.info({ pr: pull.number, commit: sha, files: [...files.keys()] }, "pr: approval files committed after merge");
    return { kind: "merged", committed: sha, why: "approved" };
  }
}
