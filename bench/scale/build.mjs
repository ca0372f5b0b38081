/**
 * Builds the engine into ESM bundles under dist/ with esbuild (installed with tsx): `npm run build`.
 *   dist/bosun.mjs             the engine CLI entry (runs app/main.ts's main; `node dist/bosun.mjs serve …`)
 *   dist/app/main.mjs          the engine CLI module (app/main.ts)
 *   dist/bench/scale/child.mjs the scale bench's child scenarios (bench/scale/child.ts)
 * The built-in kinds' schema validators are generated as standalone code first
 * (scripts/precompile-validators.mjs) and bundled in place of engine/desired/precompiled-validators.ts,
 * so the built CLI compiles no schema at start-up. Shared code goes into dist/chunks/. Run with plain `node`: no tsx transpiler in the process, so
 * its memory floor is Node + the bundled code. pino stays external (its transports resolve files
 * by path at run time). Also exported for bench/scale/run.ts, which builds on demand.
 */
import { build } from "esbuild";
import { rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { precompileValidators } from "../../scripts/precompile-validators.mjs";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** `outdir`: where the bundles go, relative to the repo (default `dist`; the image build uses its own). */
export async function buildBundles(outdir = "dist") {
  const validators = await precompileValidators(join(root, ".cache", `precompiled-validators-${process.pid}.mjs`));
  /** Swaps the sources' empty validator map for the generated one. */
  const precompiled = {
    name: "precompiled-validators",
    setup(b) {
      b.onResolve({ filter: /[/\\]precompiled-validators\.ts$/ }, () => ({ path: validators }));
    },
  };
  try {
    await bundle(outdir, precompiled);
  } finally {
    await rm(validators, { force: true });
  }
  await writeFile(
    join(root, outdir, "bosun.mjs"),
    'import { main } from "./app/main.mjs";\nprocess.exitCode = await main(process.argv.slice(2));\n',
  );
}

async function bundle(outdir, ...plugins) {
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
    plugins,
    logLevel: "warning",
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildBundles();
