/** Composition root of the `bosun` CLI: the commands, wired to their adapters. */
import { main as runCli } from "../engine/cli/main.ts";
import { validateCommand } from "../engine/cli/validate-command.ts";
import { approveCommand } from "./approve-command.ts";
import { planCommand } from "./plan-command.ts";
import { serveCommand } from "./serve-command.ts";

export function main(argv: readonly string[]): Promise<number> {
  return runCli(argv, [validateCommand, planCommand, approveCommand, serveCommand]);
}
