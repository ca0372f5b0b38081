#!/usr/bin/env node
// Entry point of `bosun-kvm-provider`, the Cluster API infrastructure provider for KVM: runs the TypeScript sources
// through tsx (no build step).
import { register } from "tsx/esm/api";

register();
const { main } = await import("../providers/kvm/main.ts");
process.exitCode = await main(process.argv.slice(2));
