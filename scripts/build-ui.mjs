#!/usr/bin/env node
// Builds the dashboard's browser app (ui/main.ts and the CSS it imports) into ui/dist/app.js + app.css with
// esbuild: the files `bosun serve` serves at /ui/assets/ from a built package (app/ui/assets.ts). No CDN, no
// framework: a few KiB of JavaScript.
import { build } from "esbuild";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const result = await build({
  entryPoints: [join(root, "ui/main.ts")],
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  outdir: join(root, "ui/dist"),
  entryNames: "app",
  legalComments: "none",
  metafile: true,
});
for (const [file, out] of Object.entries(result.metafile.outputs))
  process.stdout.write(`${file.slice(file.indexOf("ui/dist"))} ${(out.bytes / 1024).toFixed(1)} KiB\n`);
