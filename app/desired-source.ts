import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  loadFleet,
  type LoadResult,
  readDirectory,
  loadCredentials,
  GitMirror,
  FleetTreeReader,
  digest,
} from "../engine/index.ts";

export interface LoadedSource {
  /** A commit SHA, or `dir:<digest>` for a working tree. */
  readonly commit: string;
  readonly result: LoadResult;
}

/**
 * Desired state from a working tree, or from a branch/tag/commit of a remote repo (credentials from BOSUN_GIT_* env).
 */
export async function loadDesiredSource(
  source: { dir: string } | { repo: string; ref: string },
  signal: AbortSignal,
): Promise<LoadedSource> {
  if ("dir" in source) {
    const files = await readDirectory(source.dir, signal);
    return {
      commit: `dir:${digest(
        files.map((f) => [f.path, Buffer.from(f.bytes).toString("base64")]),
        12,
      )}`,
      result: loadFleet(files),
    };
  }
  const gitdir = await mkdtemp(join(tmpdir(), "bosun-plan-"));
  try {
    const credentials = await loadCredentials({ kind: "env" });
    const mirror = await GitMirror.open({ gitdir, url: source.repo, ...(credentials ? { credentials } : {}) });
    const revision = await mirror.fetchRevision(source.ref, signal);
    const files = await new FleetTreeReader(mirror.gitdir, mirror.cache).read(revision.commit, { signal });
    return { commit: revision.commit, result: loadFleet(files) };
  } finally {
    await rm(gitdir, { recursive: true, force: true });
  }
}
