/** Forge clients (Gitea/Forgejo: thin fetch client; GitHub: @octokit/core) for the PR workflow. */
import type { ForgeClient, ForgeClientOptions } from "./forge-client.ts";
import { GiteaClient } from "./gitea-client.ts";
import { GitHubClient } from "./github-client.ts";

export type { ForgeClient, ForgeClientOptions } from "./forge-client.ts";
export { ForgeError, parseRetryAfter, type ForgeErrorKind } from "./errors.ts";
export { withRetry, type RetryPolicy } from "./retry.ts";
export { GiteaClient } from "./gitea-client.ts";
export { GitHubClient } from "./github-client.ts";
export { readForgeToken, type TokenSource } from "./token.ts";

export function createForgeClient(options: ForgeClientOptions): ForgeClient {
  return options.kind === "github" ? new GitHubClient(options) : new GiteaClient(options);
}
