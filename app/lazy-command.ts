import type { Command } from "../engine/cli/index.ts";

/**
 * A command whose module is imported only when it runs (or prints its usage): `bosun validate`
 * and `bosun X --help` do not load the Kubernetes client, git or the engine.
 */
export function lazyCommand(name: string, summary: string, load: () => Promise<Command>): Command {
  let loaded: Promise<Command> | undefined;
  const get = (): Promise<Command> => (loaded ??= load());
  return {
    name,
    summary,
    usage: "",
    loadUsage: async () => (await get()).usage,
    run: async (io) => (await get()).run(io),
  };
}
