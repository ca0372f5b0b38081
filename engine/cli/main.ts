import { UsageError } from "../model/errors.ts";
import { ExitCode, usageOf, type Command } from "./command.ts";

function help(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `bosun: GitOps reconciliation for fleets beyond pods

Usage: bosun COMMAND [options]      (bosun COMMAND --help for details)

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}
`;
}

/** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 usage). */
export async function main(
  argv: readonly string[],
  commands: readonly Command[],
  io = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    io.stdout.write(help(commands));
    return name === undefined ? ExitCode.Usage : ExitCode.Ok;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`bosun: unknown command ${JSON.stringify(name)}\n\n${help(commands)}`);
    return ExitCode.Usage;
  }
  if (args.includes("--help") || args.includes("-h")) {
    io.stdout.write(`${await usageOf(command)}\n`);
    return ExitCode.Ok;
  }
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once("SIGINT", onSignal);
  try {
    return await command.run({ args, stdout: io.stdout, stderr: io.stderr, signal: controller.signal });
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error instanceof Error && (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS"))
    ) {
      io.stderr.write(`${error.message}\n\n${await usageOf(command)}\n`);
      return ExitCode.Usage;
    }
    io.stderr.write(`bosun ${command.name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return ExitCode.Failure;
  } finally {
    process.off("SIGINT", onSignal);
  }
}
