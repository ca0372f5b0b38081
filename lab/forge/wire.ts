/** JSON shapes the lab forge answers with: Gitea's (swagger subset names) or GitHub's. */
import type { RepoState, StoredComment, StoredPull, StoredReview, StoredStatus } from "./forge-state.ts";

export type Mode = "gitea" | "github";

let userIds = new Map<string, number>();
export function userJson(login: string): Record<string, unknown> {
  if (!userIds.has(login)) userIds.set(login, userIds.size + 1);
  return { id: userIds.get(login), login, username: login, full_name: login, email: `${login}@lab.invalid` };
}
export function resetUserIds(): void {
  userIds = new Map();
}

export function repoJson(s: RepoState, root: string): Record<string, unknown> {
  return {
    id: 1,
    name: s.repo.name,
    full_name: `${s.repo.owner}/${s.repo.name}`,
    owner: userJson(s.repo.owner),
    private: s.repo.private ?? false,
    archived: s.repo.archived ?? false,
    html_url: `${root}/${s.repo.owner}/${s.repo.name}`,
    default_branch: "main",
  };
}

export function pullJson(mode: Mode, s: RepoState, p: StoredPull, root: string): Record<string, unknown> {
  const html = `${root}/${s.repo.owner}/${s.repo.name}/pulls/${p.number}`;
  const branch = (ref: string, sha: string): Record<string, unknown> => ({
    label: ref,
    ref,
    sha,
    repo_id: 1,
    repo: repoJson(s, root),
  });
  const common = {
    id: p.number,
    number: p.number,
    title: p.title,
    body: "",
    state: p.state,
    user: userJson(p.author),
    merged: p.merged,
    merged_at: p.mergedAt ?? null,
    merge_commit_sha: p.mergeCommit ?? null,
    mergeable: p.state === "open",
    head: branch(p.headRef, p.headSha),
    base: branch(p.baseRef, p.baseSha),
    html_url: html,
    updated_at: p.updatedAt,
  };
  return mode === "gitea" ? { ...common, merge_base: p.mergeBase, draft: false } : { ...common, draft: false };
}

export function commentJson(mode: Mode, s: RepoState, c: StoredComment, root: string): Record<string, unknown> {
  const base = `${root}/${s.repo.owner}/${s.repo.name}`;
  return mode === "gitea"
    ? {
        id: c.id,
        body: c.body,
        user: userJson(c.user),
        html_url: `${base}/pulls/${c.issue}#issuecomment-${c.id}`,
        issue_url: `${base}/issues/${c.issue}`,
        pull_request_url: `${base}/pulls/${c.issue}`,
        created_at: c.createdAt,
        updated_at: c.updatedAt,
        assets: [],
        original_author: "",
        original_author_id: 0,
      }
    : {
        id: c.id,
        body: c.body,
        user: userJson(c.user),
        html_url: `${base}/pull/${c.issue}#issuecomment-${c.id}`,
        issue_url: `${root}/repos/${s.repo.owner}/${s.repo.name}/issues/${c.issue}`,
        created_at: c.createdAt,
        updated_at: c.updatedAt,
      };
}

export function statusJson(mode: Mode, st: StoredStatus): Record<string, unknown> {
  return {
    id: st.id,
    [mode === "gitea" ? "status" : "state"]: st.state,
    context: st.context,
    description: st.description,
    target_url: st.targetUrl,
    creator: userJson(st.creator),
    created_at: st.createdAt,
    updated_at: st.createdAt,
  };
}

const GITHUB_STATES: Record<string, string> = {
  APPROVED: "APPROVED",
  REQUEST_CHANGES: "CHANGES_REQUESTED",
  COMMENT: "COMMENTED",
};

export function reviewJson(mode: Mode, r: StoredReview, head: string): Record<string, unknown> {
  return mode === "gitea"
    ? {
        id: r.id,
        user: userJson(r.user),
        state: r.state,
        body: r.body,
        commit_id: r.commitId,
        stale: r.commitId !== head,
        official: r.official,
        dismissed: r.dismissed,
        comments_count: 0,
        submitted_at: r.submittedAt,
        updated_at: r.submittedAt,
      }
    : {
        id: r.id,
        user: userJson(r.user),
        state: r.dismissed ? "DISMISSED" : (GITHUB_STATES[r.state] ?? r.state),
        body: r.body,
        commit_id: r.commitId,
        submitted_at: r.submittedAt,
      };
}
