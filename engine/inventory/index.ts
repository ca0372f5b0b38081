export * from "./inventory.ts";
export * from "./prune.ts";
