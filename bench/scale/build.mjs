/**
 * Builds the engine into ESM bundles under dist/ with esbuild (installed with tsx): `npm run build`.
 *   dist/bosun.mjs             the engine CLI entry (runs app/main.ts's main; `node dist/bosun.mjs serve …`)
 *   dist/app/main.mjs          the engine CLI module (app/main.ts)
 *   dist/bench/scale/child.mjs the scale bench's child scenarios (bench/scale/child.ts)
 * Shared code goes into dist/chunks/. Run with plain `node`: no tsx transpiler in the process, so
 * its memory floor is Node + the bundled code. pino stays external (its transports resolve files
 * by path at run time). Also exported for bench/scale/run.ts, which builds on demand.
 */
import { build } from "esbuild";
import { writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** `outdir`: where the bundles go, relative to the repo (default `dist`; the image build uses its own). */
export async function buildBundles(outdir = "dist") {
  await build({
    absWorkingDir: root,
    entryPoints: ["app/main.ts", "bench/scale/child.ts"],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outbase: ".",
    outdir,
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    outExtension: { ".js": ".mjs" },
    external: ["pino", "pino-pretty"],
    // Bundled CommonJS dependencies call require() for Node built-ins.
    banner: {
      js: 'import { createRequire as __bosunRequire } from "node:module"; const require = __bosunRequire(import.meta.url);',
    },
    logLevel: "warning",
  });
  await writeFile(
    join(root, outdir, "bosun.mjs"),
    'import { main } from "./app/main.mjs";\nprocess.exitCode = await main(process.argv.slice(2));\n',
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildBundles();
