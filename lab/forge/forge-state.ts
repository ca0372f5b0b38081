/** What the lab forge holds: users, repos, pull requests, comments, statuses, reviews, hooks. */

export type Permission = "admin" | "write" | "read";

export interface LabForgeUser {
  readonly login: string;
  readonly token: string;
  readonly permission: Permission;
}

export interface LabForgeRepo {
  readonly owner: string;
  readonly name: string;
  /** The bare repo in the lab git server's root. */
  readonly gitdir: string;
  readonly private?: boolean;
  /** Archived: writes answer 423 (Gitea). */
  readonly archived?: boolean;
}

export interface StoredPull {
  readonly number: number;
  readonly title: string;
  readonly author: string;
  readonly headRef: string;
  readonly baseRef: string;
  headSha: string;
  baseSha: string;
  mergeBase: string;
  state: "open" | "closed";
  merged: boolean;
  mergedAt?: string;
  mergeCommit?: string;
  updatedAt: string;
}

export interface StoredComment {
  readonly id: number;
  readonly issue: number;
  body: string;
  readonly user: string;
  readonly createdAt: string;
  updatedAt: string;
}

export interface StoredStatus {
  readonly id: number;
  readonly sha: string;
  readonly state: string;
  readonly context: string;
  readonly description: string;
  readonly targetUrl: string;
  readonly creator: string;
  readonly createdAt: string;
}

export interface StoredReview {
  readonly id: number;
  readonly pull: number;
  readonly user: string;
  /** Gitea spelling: APPROVED, REQUEST_CHANGES, COMMENT. */
  readonly state: string;
  readonly body: string;
  readonly commitId: string;
  readonly official: boolean;
  dismissed: boolean;
  readonly submittedAt: string;
}

export interface StoredHook {
  readonly id: number;
  readonly url: string;
  readonly secret: string;
  readonly events: readonly string[];
  readonly active: boolean;
  readonly createdAt: string;
}

export interface RepoState {
  readonly repo: LabForgeRepo;
  readonly pulls: Map<number, StoredPull>;
  readonly comments: StoredComment[];
  readonly statuses: StoredStatus[];
  readonly reviews: StoredReview[];
  readonly hooks: StoredHook[];
  nextNumber: number;
}

/** One logged request: tests count calls (one POST, then only PATCHes). */
export interface LoggedRequest {
  readonly method: string;
  /** Path below the API root, without the query. */
  readonly path: string;
  /** The query string, without `?` ("" when none). */
  readonly query: string;
  readonly status: number;
  readonly user?: string;
}

/** A scripted failure: the next `times` requests matching method and path get `status`. */
export interface Fault {
  readonly method: string;
  readonly path: RegExp;
  readonly status: number;
  times: number;
  readonly retryAfter?: string;
  /** Carry the request out, then answer `status` anyway (the write landed, the answer got lost). */
  readonly after?: boolean;
}
