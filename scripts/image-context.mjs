#!/usr/bin/env node
// Prepares the build context of the engine image (Containerfile at the repo root) in DIR:
//   DIR/app/bosun.mjs, app/, chunks/   the production bundle (bench/scale/build.mjs, esbuild)
//   DIR/app/ui/dist/app.{js,css}       the dashboard (scripts/build-ui.mjs)
//   DIR/app/node_modules/…             pino and its dependencies (kept external by the bundle)
// Then: podman build -f Containerfile -t bosun-engine:VERSION DIR
//
//   node scripts/image-context.mjs DIR
import { cp, mkdir, readFile, rm } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import { join, relative } from "node:path";
import { buildBundles, root } from "../bench/scale/build.mjs";

const out = process.argv[2];
if (!out) {
  process.stderr.write("usage: node scripts/image-context.mjs DIR\n");
  process.exit(2);
}
await rm(out, { recursive: true, force: true });
await mkdir(join(out, "app"), { recursive: true });
// The bundle goes straight into the context (not dist/, which other builds share).
await buildBundles(relative(root, join(out, "app")));
await rm(join(out, "app", "bench"), { recursive: true, force: true });
execFileSync(process.execPath, [join(root, "scripts/build-ui.mjs")], { stdio: "ignore" });
await cp(join(root, "ui/dist"), join(out, "app/ui/dist"), { recursive: true });

/** pino and everything it depends on, from node_modules. */
async function copyWithDependencies(name, seen = new Set()) {
  if (seen.has(name)) return;
  seen.add(name);
  const dir = join(root, "node_modules", name);
  const pkg = JSON.parse(await readFile(join(dir, "package.json"), "utf8"));
  await cp(dir, join(out, "app/node_modules", name), { recursive: true });
  for (const dep of Object.keys(pkg.dependencies ?? {})) await copyWithDependencies(dep, seen);
}
await copyWithDependencies("pino");
process.stdout.write(`image context ready: ${out}\n`);
