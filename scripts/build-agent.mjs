/**
 * Builds the device agent into one CommonJS file for plain `node` on a device: `npm run build:agent`
 * → dist/agent/bosun-agent.cjs (run it with the device flags in agent/README.md).
 *
 * CommonJS, not ESM: an ES module entry loads Node's ESM loader (two dozen more internal modules),
 * ≈ 0.5 MiB more RSS for the same agent (bench/results/agent.md). Everything, `yaml` included, is
 * in the one file; `yaml` is only evaluated by `bosun-agent rbac` and for kubeconfigs outside the
 * plain subset (a dynamic import, compiled lazily by V8). Also exported for bench/agent-bench.ts.
 */
import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const defaultAgentBundle = join(root, "dist", "agent", "bosun-agent.cjs");

export async function buildAgent(outfile = defaultAgentBundle) {
  await build({
    stdin: {
      contents:
        'import { main } from "./agent/main.ts";\nvoid main(process.argv.slice(2)).then((code) => { process.exitCode = code; });\n',
      resolveDir: root,
      sourcefile: "bosun-agent-entry.ts",
      loader: "ts",
    },
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    minify: true,
    outfile,
    banner: { js: "#!/usr/bin/env node" },
    logLevel: "warning",
  });
  return outfile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(await buildAgent(process.argv[2]));
