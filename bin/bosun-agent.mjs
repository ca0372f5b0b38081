#!/usr/bin/env node
// Entry point of the `bosun-agent` device agent: runs the TypeScript sources through tsx (no build step).
import { register } from "tsx/esm/api";

register();
const { main } = await import("../agent/main.ts");
process.exitCode = await main(process.argv.slice(2));
