/**
 * The CLI's light public surface: what `bosun` needs before it knows which command runs (the
 * dispatcher, the validate command, the error types). No engine barrel here: a command that
 * needs more loads it when it runs, so `bosun validate` and `bosun X --help` start fast.
 */
export { ExitCode, type Command, type CommandIO } from "./command.ts";
export { main as runCli } from "./main.ts";
export { validateCommand } from "./validate-command.ts";
export { BosunError, UsageError } from "../model/errors.ts";
