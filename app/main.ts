/**
 * Composition root of the `bosun` CLI: the commands, wired to their adapters. Only `validate`
 * is loaded up front; the others load their module (and with it Kubernetes, git, the engine)
 * when they run, so the CLI starts in the time `validate` needs.
 */
import { runCli, validateCommand } from "../engine/cli/index.ts";
import { lazyCommand } from "./lazy-command.ts";

/** Summaries as the commands state them (app/cli-summaries.test.ts keeps them equal). */
export const COMMANDS = [
  validateCommand,
  lazyCommand(
    "plan",
    "preview what a directory, branch or commit would change: objects, rollout waves, approvals",
    async () => (await import("./plan-command.ts")).planCommand,
  ),
  lazyCommand(
    "approve",
    "approve a rollout wave for the current revision: write (and commit) the approval file",
    async () => (await import("./approve-command.ts")).approveCommand,
  ),
  lazyCommand(
    "serve",
    "run the engine: poll the fleet repo, reconcile, roll out, write status back",
    async () => (await import("./serve-command.ts")).serveCommand,
  ),
];

export function main(argv: readonly string[]): Promise<number> {
  return runCli(argv, COMMANDS);
}
