import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { machine } from "./machine.ts";

/** Writes bench/results/NAME.json (data) and NAME.md (the same, for people). */
export function writeResults(name: string, title: string, rows: Record<string, unknown>[], notes: string[] = []): void {
  const dir = join(import.meta.dirname, "..", "results");
  mkdirSync(dir, { recursive: true });
  const m = machine();
  const at = new Date().toISOString();
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify({ title, at, machine: m, rows, notes }, null, 2)}\n`);
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const md = [
    `# ${title}`,
    "",
    `Measured ${at} on ${m["cpu"]} (${m["cores"]} cores, ${m["memoryGiB"]} GiB), Node ${m["node"]}.`,
    "",
    `| ${cols.join(" | ")} |`,
    `| ${cols.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${cols.map((c) => String(r[c] ?? "")).join(" | ")} |`),
    "",
    ...notes.map((n) => `- ${n}`),
    "",
  ].join("\n");
  writeFileSync(join(dir, `${name}.md`), md);
  process.stdout.write(`${md}\n`);
}
