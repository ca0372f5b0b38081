/**
 * An object's status file as committed to Git, read from the engine's bare mirror (the status
 * writer keeps `refs/heads/<status branch>` there) with the git CLI. Where git is not installed, or
 * nothing was written yet, the object page says so.
 */
import { execFile } from "node:child_process";
import type { StatusFileReader } from "./server.ts";

/** Where status documents go, from the fleet's bosun.yaml (`status.mode`, `branch`, `folder`). */
export interface StatusLocation {
  readonly mode: "branch" | "folder";
  readonly branch: string;
  readonly folder: string;
}

/** The engine's path rule (engine/status/paths.ts): `objects/<Kind>/<namespace or _cluster>/<name>.yaml`. */
export function statusPath(o: { kind: string; namespace: string; name: string }): string {
  const segment = (s: string): string => {
    const cleaned = s.replace(/[^A-Za-z0-9._-]/g, "_");
    return cleaned === "" || cleaned === "." || cleaned === ".." ? "_" : cleaned;
  };
  return `objects/${segment(o.kind)}/${o.namespace === "" ? "_cluster" : segment(o.namespace)}/${segment(o.name)}.yaml`;
}

export function mirrorStatusFile(
  gitdir: string,
  trackedRef: string,
  where: () => StatusLocation | undefined,
): StatusFileReader {
  return (ref) => {
    const loc = where();
    if (!loc) return Promise.resolve(undefined);
    const spec =
      loc.mode === "branch"
        ? `refs/heads/${loc.branch}:${statusPath(ref)}`
        : `${trackedRef}:${loc.folder.replace(/\/?$/, "/")}${statusPath(ref)}`;
    return new Promise((resolve) => {
      execFile(
        "git",
        ["--git-dir", gitdir, "show", spec],
        { maxBuffer: 4 * 2 ** 20, timeout: 10_000 },
        (error, stdout) => resolve(error ? undefined : stdout),
      );
    });
  };
}
