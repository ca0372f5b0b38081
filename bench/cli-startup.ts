/**
 * CLI start-up: `bosun validate fleet-repo-example`, `bosun plan --help` and `bosun --help`, each
 * run as a fresh process through the three paths: the sources through tsx (a checkout), the built
 * JavaScript through bin/bosun.mjs (an installed package: BOSUN_CLI=dist), and dist/bosun.mjs
 * directly. Wall and CPU (user+sys) medians; the machine's load is recorded next to them (the
 * wall time is the CPU time stretched by whatever else runs). Writes bench/results/cli-startup.md.
 *
 *   node --import tsx bench/cli-startup.ts [--runs N]
 */
import { spawnSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const runs = Number(process.argv[process.argv.indexOf("--runs") + 1] || 7);

interface Sample {
  wallMs: number;
  cpuMs: number;
}

function timed(args: string[], env: Record<string, string>): Sample {
  const start = process.hrtime.bigint();
  // GNU time reports the child's user and sys time on its last stderr line.
  const r = spawnSync("/usr/bin/time", ["-f", "%U %S", process.execPath, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: "utf8",
  });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.error || r.status !== 0) throw new Error(`${args.join(" ")} failed: ${r.error?.message ?? r.stderr}`);
  const [user = "0", sys = "0"] = r.stderr.trim().split("\n").at(-1)!.split(" ");
  return { wallMs, cpuMs: (Number(user) + Number(sys)) * 1000 };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const build = spawnSync(process.execPath, [join(root, "bench/scale/build.mjs")], { encoding: "utf8" });
if (build.status !== 0) throw new Error(`npm run build failed: ${build.stderr}`);
const commands: [string, string[]][] = [
  ["validate fleet-repo-example", ["validate", "fleet-repo-example"]],
  ["plan --help", ["plan", "--help"]],
  ["--help", ["--help"]],
];
const paths: [string, (a: string[]) => string[], Record<string, string>][] = [
  ["tsx (checkout: bin/bosun.mjs, sources)", (a) => ["bin/bosun.mjs", ...a], { BOSUN_CLI: "tsx" }],
  ["built (installed: bin/bosun.mjs → dist)", (a) => ["bin/bosun.mjs", ...a], { BOSUN_CLI: "dist" }],
  ["dist/bosun.mjs directly", (a) => ["dist/bosun.mjs", ...a], {}],
];
const node = timed(["-e", "0"], {});
const rows: string[] = [];
const loads: number[] = [];
for (const [label, args] of commands)
  for (const [path, argv, env] of paths) {
    const samples: Sample[] = [];
    for (let i = 0; i < runs; i++) {
      loads.push(loadavg()[0]!);
      samples.push(timed(argv(args), env));
    }
    const wall = median(samples.map((s) => s.wallMs));
    const cpu = median(samples.map((s) => s.cpuMs));
    rows.push(`| \`bosun ${label}\` | ${path} | ${wall.toFixed(0)} | ${cpu.toFixed(0)} |`);
    process.stderr.write(`${label} via ${path}: wall ${wall.toFixed(0)} ms, cpu ${cpu.toFixed(0)} ms\n`);
  }
const cpu = cpus()[0]?.model ?? "unknown CPU";
const text = `# CLI start-up: built JavaScript vs the transpiled path

Measured ${new Date().toISOString()} on ${cpu} (${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB),
Node ${process.version}; load average during the runs ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}
(the machine is shared: wall time is CPU time stretched by everything else running). Medians of ${runs} runs,
each a fresh process; CPU = user + sys of the child (GNU time). \`node -e 0\` alone: wall ${node.wallMs.toFixed(0)} ms,
CPU ${node.cpuMs.toFixed(0)} ms.

| command | path | wall ms | CPU ms |
| --- | --- | --- | --- |
${rows.join("\n")}

- The installed CLI (\`bin/bosun.mjs\` in a package under node_modules, or \`BOSUN_CLI=dist\`) imports
  \`dist/bosun.mjs\`: no tsx, no TypeScript transpiling. A checkout runs the sources through tsx.
- Only \`validate\` is loaded up front (\`engine/cli/index.ts\`, no engine barrel); \`plan\`, \`approve\` and
  \`serve\` load their module when they run or print their usage (\`app/lazy-command.ts\`).
- The built CLI's validators of the built-in kinds are generated at build time (ajv standalone code,
  \`scripts/precompile-validators.mjs\`): it compiles no schema. The tsx path compiles the schemas of the
  kinds the fleet uses when it meets them (as do CRD schemas and any schema the build did not know).
`;
await writeFile(join(root, "bench/results/cli-startup.md"), text);
process.stderr.write(`wrote bench/results/cli-startup.md\n`);
