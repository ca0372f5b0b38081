/** Forge-neutral shapes of the pull-request workflow (Gitea/Forgejo and GitHub map onto them). Plain data. */

export type ForgeKind = "gitea" | "github";

export interface ForgeComment {
  readonly id: number;
  readonly body: string;
  /** The author's login. */
  readonly user: string;
}

export type ReviewState = "approved" | "changes-requested" | "commented" | "dismissed" | "other";

export interface ForgeReview {
  readonly id: number;
  readonly user: string;
  readonly state: ReviewState;
  /** The head commit the review was made on (`commit_id`). */
  readonly commitId: string;
  /** Gitea: the head moved since the review. GitHub has no such flag (commitId says it). */
  readonly stale: boolean;
  readonly dismissed: boolean;
  /** Gitea: the reviewer may approve on this branch. GitHub: always true. */
  readonly official: boolean;
  readonly submittedAt: string;
}

export interface ForgePull {
  readonly number: number;
  readonly state: "open" | "closed";
  readonly merged: boolean;
  readonly headSha: string;
  readonly headRef: string;
  readonly baseRef: string;
  /** The merge base, when the forge says (Gitea `merge_base`; GitHub: `base.sha`). */
  readonly mergeBase?: string;
  readonly mergeCommitSha?: string;
  /** The PR author's login. */
  readonly author?: string;
}

export type CommitState = "pending" | "success" | "failure" | "error";

export interface CommitStatusInput {
  readonly state: CommitState;
  readonly context: string;
  readonly description: string;
  readonly targetUrl?: string;
}
