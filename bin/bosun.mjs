#!/usr/bin/env node
// Entry point of the `bosun` CLI: runs the TypeScript sources through tsx (no build step).
import { register } from "tsx/esm/api";

register();
const { main } = await import("../app/main.ts");
process.exitCode = await main(process.argv.slice(2));
