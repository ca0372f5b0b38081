/** Where each status document lives inside the status root. Pure. */
import type { ObjectStatus } from "./types.ts";

export const COMMIT_FILE = "_commit.yaml";
export const SUMMARY_FILE = "STATUS.md";
export const OBJECTS_DIR = "objects/";

/** Path segments that are safe in a git tree and on every filesystem. */
function segment(s: string): string {
  const cleaned = s.replace(/[^A-Za-z0-9._-]/g, "_");
  return cleaned === "" || cleaned === "." || cleaned === ".." ? "_" : cleaned;
}

/** `objects/<Kind>/<namespace or _cluster>/<name>.yaml`. */
export function objectStatusPath(o: Pick<ObjectStatus, "kind" | "namespace" | "name">): string {
  return `${OBJECTS_DIR}${segment(o.kind)}/${o.namespace === "" ? "_cluster" : segment(o.namespace)}/${segment(o.name)}.yaml`;
}

/** Files Bosun owns (and may overwrite or delete) inside the status root; all others are humans'. */
export function isOwnedStatusPath(path: string): boolean {
  return path === COMMIT_FILE || path === SUMMARY_FILE || (path.startsWith(OBJECTS_DIR) && path.endsWith(".yaml"));
}
