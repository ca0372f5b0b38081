#!/usr/bin/env node
// Entry point of the `bosun` CLI. Installed (the package lives under node_modules, or
// BOSUN_CLI=dist), it runs the built JavaScript (dist/bosun.mjs, `npm run build`): no TypeScript
// transpiler in the process, so `bosun validate` starts fast. In a checkout it runs the sources
// through tsx (no build step; BOSUN_CLI=tsx forces that).
import { existsSync } from "node:fs";
import { dirname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const built = join(root, "dist", "bosun.mjs");
const mode = process.env["BOSUN_CLI"];
const installed = root.split(sep).includes("node_modules") || !existsSync(join(root, "app", "main.ts"));
if (mode === "dist" || (mode !== "tsx" && installed && existsSync(built))) {
  await import(built);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  const { main } = await import("../app/main.ts");
  process.exitCode = await main(process.argv.slice(2));
}
