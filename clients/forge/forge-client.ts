import type { CommitStatusInput, ForgeComment, ForgeKind, ForgePull, ForgeReview } from "../../engine/index.ts";

/** The forge operations of the PR workflow, the same on Gitea/Forgejo and GitHub. */
export interface ForgeClient {
  readonly kind: ForgeKind;
  /** `owner/name`, for messages. */
  readonly repo: string;
  /** The login of the token's user (Bosun's comments are the ones it wrote). */
  whoami(signal?: AbortSignal): Promise<string>;
  getPull(number: number, signal?: AbortSignal): Promise<ForgePull>;
  /** Every comment of the PR, all pages. */
  listComments(number: number, signal?: AbortSignal): Promise<ForgeComment[]>;
  createComment(number: number, body: string, signal?: AbortSignal): Promise<ForgeComment>;
  editComment(id: number, body: string, signal?: AbortSignal): Promise<ForgeComment>;
  deleteComment(id: number, signal?: AbortSignal): Promise<void>;
  createStatus(sha: string, status: CommitStatusInput, signal?: AbortSignal): Promise<void>;
  /** Every review of the PR, all pages. */
  listReviews(number: number, signal?: AbortSignal): Promise<ForgeReview[]>;
  /** Submits a review (tests and tooling play the reviewer through it). */
  createReview(
    number: number,
    review: { event: "approve" | "request-changes" | "comment"; body?: string; commitId?: string },
    signal?: AbortSignal,
  ): Promise<void>;
}

export interface ForgeClientOptions {
  readonly kind: ForgeKind;
  /** Gitea: the server root (`https://gitea.example.com`); GitHub: the API root (`https://api.github.com`). */
  readonly url: string;
  /** `owner/name`. */
  readonly repo: string;
  readonly token: string;
  /** Per-request timeout (default 30 s). */
  readonly timeoutMs?: number;
}

export function splitRepo(repo: string): { owner: string; name: string } {
  const m = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(repo);
  if (!m) throw new Error(`forge repo ${JSON.stringify(repo)} is not OWNER/NAME`);
  return { owner: m[1]!, name: m[2]! };
}
