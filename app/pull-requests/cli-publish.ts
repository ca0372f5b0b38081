/**
 * `bosun plan --comment / --status` from a CI job without the engine: the same comment (found by
 * marker and the token's login, edited in place, split into parts) and the same commit status as
 * the engine's, on the PR's current head.
 */
import type { ForgeClient } from "../../clients/forge/index.ts";
import {
  evaluateReviews,
  invalidDescription,
  NO_APPROVERS,
  planDescription,
  renderInvalidComment,
  renderPlanComment,
  statusContext,
  type ApproverPolicy,
  type Diagnostic,
  type Logger,
  type Plan,
} from "../../engine/index.ts";
import { ownFirstPart, publishComments } from "./publish.ts";

export interface CliPublishInput {
  readonly forge: ForgeClient;
  readonly number: number;
  readonly scope: string;
  readonly comment: boolean;
  readonly status: boolean;
  readonly logger: Logger;
  readonly outcome: { readonly plan: Plan } | { readonly diagnostics: readonly Diagnostic[] };
  /** bosun.yaml's approvers of the planned tree (informational here: the engine checks the base branch's). */
  readonly policy?: ApproverPolicy;
  readonly now?: Date;
}

/** Returns the head commit the comment and status were put on. */
export async function publishFromCli(input: CliPublishInput, signal?: AbortSignal): Promise<string> {
  const { forge, number, scope, logger } = input;
  const pull = await forge.getPull(number, signal);
  const head = pull.headSha;
  const context = statusContext(scope);
  if ("diagnostics" in input.outcome) {
    const diagnostics = input.outcome.diagnostics;
    if (input.comment) {
      const login = await forge.whoami(signal);
      const parts = renderInvalidComment({ scope, head, diagnostics });
      await publishComments(forge, { number, login, scope, parts, logger }, signal);
    }
    if (input.status)
      await forge.createStatus(
        head,
        { state: "failure", context, description: invalidDescription(diagnostics) },
        signal,
      );
    return head;
  }
  const plan = input.outcome.plan;
  if (input.comment) {
    const login = await forge.whoami(signal);
    const comments = await forge.listComments(number, signal);
    const previous = ownFirstPart(comments, login, scope)?.marker;
    const same = previous?.head === head && previous.digest === plan.digest && previous.since !== undefined;
    const since = same ? previous.since! : (input.now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, "Z");
    const policy = input.policy ?? NO_APPROVERS;
    const verdict = evaluateReviews({
      reviews: await forge.listReviews(number, signal),
      head,
      since,
      digest: plan.digest,
      policy,
      ...(pull.author ? { author: pull.author } : {}),
    });
    const parts = renderPlanComment({
      scope,
      plan,
      head,
      since,
      verdict,
      approvers: [...policy.logins.map((l) => `@${l}`), ...Object.keys(policy.teams).map((t) => `team ${t}`)],
    });
    await publishComments(forge, { number, login, scope, parts, logger }, signal, comments);
  }
  if (input.status)
    await forge.createStatus(head, { state: "success", context, description: planDescription(plan) }, signal);
  return head;
}
