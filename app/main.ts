/** Composition root of the `bosun` CLI: the commands, wired to their adapters. */
import { approveCommand } from "./approve-command.ts";
import { planCommand } from "./plan-command.ts";
import { serveCommand } from "./serve-command.ts";
import { runCli, validateCommand } from "../engine/index.ts";

export function main(argv: readonly string[]): Promise<number> {
  return runCli(argv, [validateCommand, planCommand, approveCommand, serveCommand]);
}
