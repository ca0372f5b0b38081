/** What every CLI command gets: its arguments and where to write. Exit codes: 0 ok, 1 failure, 2 usage. */
export interface CommandIO {
  readonly args: readonly string[];
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly signal: AbortSignal;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  /** A command whose module loads on demand: its usage text, read from there (`usage` is then ""). */
  readonly loadUsage?: () => Promise<string>;
  run(io: CommandIO): Promise<number>;
}

/** The usage text of a command, loading it when the command is lazy. */
export async function usageOf(command: Command): Promise<string> {
  return command.loadUsage ? command.loadUsage() : command.usage;
}

export const ExitCode = { Ok: 0, Failure: 1, Usage: 2 } as const;
