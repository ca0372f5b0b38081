import { parseArgs } from "node:util";
import { loadFleet } from "../desired/load-fleet.ts";
import { readDirectory } from "../desired/read-directory.ts";
import { formatDiagnostic } from "../model/diagnostic.ts";
import { BosunError, UsageError } from "../model/errors.ts";
import { ExitCode, type Command } from "./command.ts";

export const validateCommand: Command = {
  name: "validate",
  summary: "check a fleet repo directory: schemas, names, duplicates, references",
  usage: `Usage: bosun validate [DIR] [--format text|json]

Loads every fleet file under DIR (default: .) as the engine would and reports every problem
as "path:line:col: CODE message". Nothing is applied.

Options:
  --format text|json   output format (default text); json lists the loaded objects by kind
  -h, --help           show this help

Exit codes: 0 valid, 1 invalid, 2 usage error.`,
  async run({ args, stdout, signal }) {
    const { values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: { format: { type: "string", default: "text" } },
    });
    if (positionals.length > 1) throw new UsageError("bosun validate", "takes at most one directory");
    if (values.format !== "text" && values.format !== "json")
      throw new UsageError("bosun validate", `--format must be text or json, not ${JSON.stringify(values.format)}`);
    const dir = positionals[0] ?? ".";
    let files;
    try {
      files = await readDirectory(dir, signal);
    } catch (cause) {
      if (cause instanceof BosunError) throw new UsageError("bosun validate", cause.message, { cause });
      throw new UsageError("bosun validate", `cannot read ${dir}: ${(cause as Error).message}`, { cause });
    }
    const result = loadFleet(files);
    if (values.format === "json") {
      const body = result.ok
        ? {
            valid: true,
            objects: groupByKind(
              result.objects.map((o) => ({
                kind: o.kind,
                apiVersion: o.apiVersion,
                namespace: o.namespace,
                name: o.name,
                source: `${o.source.file}:${o.source.line}`,
              })),
            ),
            approvals: result.approvals.length,
          }
        : { valid: false, errors: result.diagnostics };
      stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    } else if (result.ok) {
      stdout.write(`${dir}: valid, ${result.objects.length} objects, ${result.approvals.length} approvals\n`);
    } else {
      for (const d of result.diagnostics) stdout.write(`${formatDiagnostic(d)}\n`);
      stdout.write(
        `${dir}: ${result.diagnostics.length} problem${result.diagnostics.length === 1 ? "" : "s"}; nothing was applied\n`,
      );
    }
    return result.ok ? ExitCode.Ok : ExitCode.Failure;
  },
};

function groupByKind<T extends { kind: string }>(items: T[]): Record<string, T[]> {
  const out: Record<string, T[]> = {};
  for (const item of items) (out[item.kind] ??= []).push(item);
  return out;
}
