/** The lab forge's pull requests live in the lab git server's bare repos: `refs/pull/N/head`, merges by plumbing. */
import { git } from "../git-server/index.ts";

export async function revParse(gitdir: string, ref: string): Promise<string> {
  return (await git(["--git-dir", gitdir, "rev-parse", "--verify", "--quiet", `${ref}^{commit}`])).trim();
}

/** Points `refs/pull/N/head` at the head branch's tip (what Gitea and GitHub do on open and push). */
export async function updatePullRef(gitdir: string, number: number, headBranch: string): Promise<string> {
  const sha = await revParse(gitdir, `refs/heads/${headBranch}`);
  await git(["--git-dir", gitdir, "update-ref", `refs/pull/${number}/head`, sha]);
  return sha;
}

export async function mergeBase(gitdir: string, a: string, b: string): Promise<string> {
  return (await git(["--git-dir", gitdir, "merge-base", a, b])).trim();
}

/**
 * Merges `head` into `base` with a merge commit (no worktree: `git merge-tree --write-tree`);
 * a conflict is an error. Returns the merge commit.
 */
export async function mergePull(
  gitdir: string,
  baseBranch: string,
  head: string,
  message: string,
  by: { name: string; email: string },
): Promise<string> {
  const base = await revParse(gitdir, `refs/heads/${baseBranch}`);
  const tree = (await git(["--git-dir", gitdir, "merge-tree", "--write-tree", base, head])).trim().split("\n")[0]!;
  const env = {
    GIT_AUTHOR_NAME: by.name,
    GIT_AUTHOR_EMAIL: by.email,
    GIT_COMMITTER_NAME: by.name,
    GIT_COMMITTER_EMAIL: by.email,
  };
  const commit = (
    await git(["--git-dir", gitdir, "commit-tree", tree, "-p", base, "-p", head, "-m", message], { env })
  ).trim();
  await git(["--git-dir", gitdir, "update-ref", `refs/heads/${baseBranch}`, commit, base]);
  return commit;
}
