/**
 * Gitea/Forgejo through a thin typed fetch client: exactly the operations of the swagger subset
 * (`../shared/specs/gitea/swagger-subset.json`, Gitea 1.25.3) the PR workflow uses.
 * `Authorization: token <t>`; TLS verified (Node's fetch, no override); errors as ForgeError.
 */
import type { CommitStatusInput, ForgeComment, ForgePull, ForgeReview, ReviewState } from "../../engine/index.ts";
import { ForgeError, forgeError } from "./errors.ts";
import { splitRepo, type ForgeClient, type ForgeClientOptions } from "./forge-client.ts";
import { withRetry } from "./retry.ts";

/** The wire shapes we read (names as in the swagger definitions). */
export interface GiteaUser {
  readonly id: number;
  readonly login: string;
}
export interface GiteaComment {
  readonly id: number;
  readonly body: string;
  readonly user: GiteaUser | null;
}
export interface GiteaPRBranchInfo {
  readonly ref: string;
  readonly sha: string;
  readonly label?: string;
}
export interface GiteaPullRequest {
  readonly number: number;
  readonly state: string;
  readonly merged: boolean;
  readonly merge_base?: string;
  readonly merge_commit_sha?: string | null;
  readonly head: GiteaPRBranchInfo;
  readonly base: GiteaPRBranchInfo;
  readonly user?: GiteaUser | null;
}
export interface GiteaPullReview {
  readonly id: number;
  readonly user: GiteaUser | null;
  readonly state: string;
  readonly commit_id: string;
  readonly stale: boolean;
  readonly dismissed: boolean;
  readonly official: boolean;
  readonly submitted_at: string;
}

const REVIEW_STATES: Record<string, ReviewState> = {
  APPROVED: "approved",
  REQUEST_CHANGES: "changes-requested",
  COMMENT: "commented",
};

export class GiteaClient implements ForgeClient {
  readonly kind = "gitea" as const;
  readonly repo: string;
  private readonly base: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;

  constructor(options: ForgeClientOptions) {
    const { owner, name } = splitRepo(options.repo);
    this.repo = options.repo;
    this.base = `${options.url.replace(/\/+$/, "")}/api/v1`;
    this.headers = { authorization: `token ${options.token}`, accept: "application/json" };
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.repoPath = `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`;
  }
  private readonly repoPath: string;

  private async call<T>(
    method: string,
    path: string,
    body: unknown,
    options: { idempotent: boolean; signal?: AbortSignal | undefined },
  ): Promise<{ status: number; data: T }> {
    const subject = `forge ${this.repo} (${method} ${path.replace(/\?.*$/, "")})`;
    return withRetry(
      async () => {
        const signals = [AbortSignal.timeout(this.timeoutMs), ...(options.signal ? [options.signal] : [])];
        let res: Response;
        try {
          res = await fetch(`${this.base}${path}`, {
            method,
            headers: body === undefined ? this.headers : { ...this.headers, "content-type": "application/json" },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
            signal: AbortSignal.any(signals),
          });
        } catch (cause) {
          if (options.signal?.aborted) throw cause;
          throw new ForgeError(subject, "network", undefined, `unreachable: ${(cause as Error).message}`);
        }
        const text = await res.text();
        if (!res.ok) {
          let detail = text;
          try {
            detail = String((JSON.parse(text) as { message?: unknown }).message ?? text);
          } catch {
            // not JSON: keep the text
          }
          throw forgeError(subject, res.status, detail, res.headers.get("retry-after"));
        }
        return { status: res.status, data: (text ? JSON.parse(text) : undefined) as T };
      },
      { idempotent: options.idempotent, ...(options.signal ? { signal: options.signal } : {}) },
    );
  }

  async whoami(signal?: AbortSignal): Promise<string> {
    return (await this.call<GiteaUser>("GET", "/user", undefined, { idempotent: true, signal })).data.login;
  }

  async getPull(number: number, signal?: AbortSignal): Promise<ForgePull> {
    const pr = (
      await this.call<GiteaPullRequest>("GET", `${this.repoPath}/pulls/${number}`, undefined, {
        idempotent: true,
        signal,
      })
    ).data;
    return {
      number: pr.number,
      state: pr.state === "closed" ? "closed" : "open",
      merged: pr.merged,
      headSha: pr.head.sha,
      headRef: pr.head.ref,
      baseRef: pr.base.ref,
      ...(pr.merge_base ? { mergeBase: pr.merge_base } : {}),
      ...(pr.merge_commit_sha ? { mergeCommitSha: pr.merge_commit_sha } : {}),
      ...(pr.user?.login ? { author: pr.user.login } : {}),
    };
  }

  /** Gitea's comment list takes no page/limit (swagger: only since/before): one answer holds them all. */
  async listComments(number: number, signal?: AbortSignal): Promise<ForgeComment[]> {
    const list = (
      await this.call<GiteaComment[]>("GET", `${this.repoPath}/issues/${number}/comments`, undefined, {
        idempotent: true,
        signal,
      })
    ).data;
    return list.map(toComment);
  }

  async createComment(number: number, body: string, signal?: AbortSignal): Promise<ForgeComment> {
    const r = await this.call<GiteaComment>(
      "POST",
      `${this.repoPath}/issues/${number}/comments`,
      { body },
      { idempotent: false, signal },
    );
    return toComment(r.data);
  }

  async editComment(id: number, body: string, signal?: AbortSignal): Promise<ForgeComment> {
    const r = await this.call<GiteaComment | undefined>(
      "PATCH",
      `${this.repoPath}/issues/comments/${id}`,
      { body },
      { idempotent: true, signal },
    );
    return r.data ? toComment(r.data) : { id, body, user: "" };
  }

  async deleteComment(id: number, signal?: AbortSignal): Promise<void> {
    try {
      await this.call("DELETE", `${this.repoPath}/issues/comments/${id}`, undefined, { idempotent: true, signal });
    } catch (error) {
      // Already gone (a retried delete): the goal holds.
      if (!(error instanceof ForgeError && error.kind === "not-found")) throw error;
    }
  }

  async createStatus(sha: string, status: CommitStatusInput, signal?: AbortSignal): Promise<void> {
    // The same status posted twice is harmless (the latest per context wins): idempotent.
    await this.call(
      "POST",
      `${this.repoPath}/statuses/${sha}`,
      {
        state: status.state,
        context: status.context,
        description: status.description,
        ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
      },
      { idempotent: true, signal },
    );
  }

  async listReviews(number: number, signal?: AbortSignal): Promise<ForgeReview[]> {
    const out: ForgeReview[] = [];
    const limit = 50;
    for (let page = 1; page < 1000; page++) {
      const list = (
        await this.call<GiteaPullReview[]>(
          "GET",
          `${this.repoPath}/pulls/${number}/reviews?page=${page}&limit=${limit}`,
          undefined,
          { idempotent: true, signal },
        )
      ).data;
      for (const r of list)
        out.push({
          id: r.id,
          user: r.user?.login ?? "",
          state: REVIEW_STATES[r.state] ?? "other",
          commitId: r.commit_id,
          stale: r.stale,
          dismissed: r.dismissed,
          official: r.official,
          submittedAt: r.submitted_at,
        });
      if (list.length < limit) break;
    }
    return out;
  }

  async createReview(
    number: number,
    review: { event: "approve" | "request-changes" | "comment"; body?: string; commitId?: string },
    signal?: AbortSignal,
  ): Promise<void> {
    const event =
      review.event === "approve" ? "APPROVED" : review.event === "request-changes" ? "REQUEST_CHANGES" : "COMMENT";
    await this.call(
      "POST",
      `${this.repoPath}/pulls/${number}/reviews`,
      { event, body: review.body ?? "", ...(review.commitId ? { commit_id: review.commitId } : {}) },
      { idempotent: false, signal },
    );
  }
}

function toComment(c: GiteaComment): ForgeComment {
  return { id: c.id, body: c.body, user: c.user?.login ?? "" };
}
