/**
 * GitHub through @octokit/core (typed `request("GET /repos/{owner}/{repo}/…")`): the same
 * operations as the Gitea client. `Authorization: token`, pagination by `per_page=100` and the
 * `Link` header, errors as ForgeError (octokit's own error, which holds the request, is not kept).
 */
import { Octokit } from "@octokit/core";
import type { CommitStatusInput, ForgeComment, ForgePull, ForgeReview, ReviewState } from "../../engine/index.ts";
import { ForgeError, forgeError } from "./errors.ts";
import { splitRepo, type ForgeClient, type ForgeClientOptions } from "./forge-client.ts";
import { withRetry } from "./retry.ts";

const REVIEW_STATES: Record<string, ReviewState> = {
  APPROVED: "approved",
  CHANGES_REQUESTED: "changes-requested",
  COMMENTED: "commented",
  DISMISSED: "dismissed",
};

interface OctokitFailure {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | undefined>; data?: unknown };
}

type Params = Record<string, unknown>;

export class GitHubClient implements ForgeClient {
  readonly kind = "github" as const;
  readonly repo: string;
  private readonly octokit: Octokit;
  private readonly owner: string;
  private readonly name: string;
  private readonly timeoutMs: number;

  constructor(options: ForgeClientOptions) {
    const { owner, name } = splitRepo(options.repo);
    this.repo = options.repo;
    this.owner = owner;
    this.name = name;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    const quiet = (): void => {};
    this.octokit = new Octokit({
      auth: options.token,
      baseUrl: options.url.replace(/\/+$/, ""),
      userAgent: "bosun",
      log: { debug: quiet, info: quiet, warn: quiet, error: quiet },
    });
  }

  private async call<T>(
    route: string,
    params: Params,
    options: { idempotent: boolean; signal?: AbortSignal | undefined },
  ): Promise<{ data: T; headers: Record<string, string | number | undefined> }> {
    const subject = `forge ${this.repo} (${route.replace(/\{owner\}\/\{repo\}/, `${this.owner}/${this.name}`)})`;
    return withRetry(
      async () => {
        const signals = [AbortSignal.timeout(this.timeoutMs), ...(options.signal ? [options.signal] : [])];
        try {
          const res = await this.octokit.request(route, {
            owner: this.owner,
            repo: this.name,
            ...params,
            headers: { "x-github-api-version": "2022-11-28" },
            request: { signal: AbortSignal.any(signals) },
          });
          return { data: res.data as T, headers: res.headers as Record<string, string | number | undefined> };
        } catch (error) {
          if (options.signal?.aborted) throw error;
          const e = error as OctokitFailure;
          if (typeof e.status !== "number" || e.status === 0 || e.response === undefined)
            throw new ForgeError(subject, "network", undefined, `unreachable: ${e.message ?? String(error)}`);
          const data = e.response.data as { message?: unknown } | undefined;
          throw forgeError(subject, e.status, String(data?.message ?? ""), e.response.headers?.["retry-after"]);
        }
      },
      { idempotent: options.idempotent, ...(options.signal ? { signal: options.signal } : {}) },
    );
  }

  /** Every page of a list: `per_page=100`, then the `Link: <…>; rel="next"` pages. */
  private async all<T>(route: string, params: Params, signal?: AbortSignal): Promise<T[]> {
    const out: T[] = [];
    for (let page = 1; page < 10_000; page++) {
      const res = await this.call<T[]>(route, { ...params, per_page: 100, page }, { idempotent: true, signal });
      out.push(...res.data);
      if (!/rel="next"/.test(String(res.headers["link"] ?? ""))) break;
    }
    return out;
  }

  async whoami(signal?: AbortSignal): Promise<string> {
    return (await this.call<{ login: string }>("GET /user", {}, { idempotent: true, signal })).data.login;
  }

  async getPull(number: number, signal?: AbortSignal): Promise<ForgePull> {
    const pr = (
      await this.call<{
        number: number;
        state: string;
        merged: boolean;
        merge_commit_sha: string | null;
        head: { sha: string; ref: string };
        base: { sha: string; ref: string };
        user: { login: string } | null;
      }>("GET /repos/{owner}/{repo}/pulls/{pull_number}", { pull_number: number }, { idempotent: true, signal })
    ).data;
    return {
      number: pr.number,
      state: pr.state === "closed" ? "closed" : "open",
      merged: pr.merged,
      headSha: pr.head.sha,
      headRef: pr.head.ref,
      baseRef: pr.base.ref,
      mergeBase: pr.base.sha,
      ...(pr.merge_commit_sha ? { mergeCommitSha: pr.merge_commit_sha } : {}),
      ...(pr.user?.login ? { author: pr.user.login } : {}),
    };
  }

  async listComments(number: number, signal?: AbortSignal): Promise<ForgeComment[]> {
    const list = await this.all<{ id: number; body?: string; user: { login: string } | null }>(
      "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
      { issue_number: number },
      signal,
    );
    return list.map((c) => ({ id: c.id, body: c.body ?? "", user: c.user?.login ?? "" }));
  }

  async createComment(number: number, body: string, signal?: AbortSignal): Promise<ForgeComment> {
    const c = (
      await this.call<{ id: number; body: string; user: { login: string } | null }>(
        "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
        { issue_number: number, body },
        { idempotent: false, signal },
      )
    ).data;
    return { id: c.id, body: c.body, user: c.user?.login ?? "" };
  }

  async editComment(id: number, body: string, signal?: AbortSignal): Promise<ForgeComment> {
    const c = (
      await this.call<{ id: number; body: string; user: { login: string } | null }>(
        "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}",
        { comment_id: id, body },
        { idempotent: true, signal },
      )
    ).data;
    return { id: c.id, body: c.body, user: c.user?.login ?? "" };
  }

  async deleteComment(id: number, signal?: AbortSignal): Promise<void> {
    try {
      await this.call(
        "DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}",
        { comment_id: id },
        { idempotent: true, signal },
      );
    } catch (error) {
      if (!(error instanceof ForgeError && error.kind === "not-found")) throw error;
    }
  }

  async createStatus(sha: string, status: CommitStatusInput, signal?: AbortSignal): Promise<void> {
    await this.call(
      "POST /repos/{owner}/{repo}/statuses/{sha}",
      {
        sha,
        state: status.state,
        context: status.context,
        description: status.description,
        ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
      },
      { idempotent: true, signal },
    );
  }

  async listReviews(number: number, signal?: AbortSignal): Promise<ForgeReview[]> {
    const list = await this.all<{
      id: number;
      user: { login: string } | null;
      state: string;
      commit_id: string;
      submitted_at?: string;
    }>("GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews", { pull_number: number }, signal);
    return list.map((r) => ({
      id: r.id,
      user: r.user?.login ?? "",
      state: REVIEW_STATES[r.state] ?? "other",
      commitId: r.commit_id,
      stale: false,
      dismissed: r.state === "DISMISSED",
      official: true,
      submittedAt: r.submitted_at ?? "",
    }));
  }

  async createReview(
    number: number,
    review: { event: "approve" | "request-changes" | "comment"; body?: string; commitId?: string },
    signal?: AbortSignal,
  ): Promise<void> {
    const event =
      review.event === "approve" ? "APPROVE" : review.event === "request-changes" ? "REQUEST_CHANGES" : "COMMENT";
    await this.call(
      "POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews",
      {
        pull_number: number,
        event,
        body: review.body ?? "",
        ...(review.commitId ? { commit_id: review.commitId } : {}),
      },
      { idempotent: false, signal },
    );
  }
}
