/** A StatusSnapshot → the files of the status root (path → text). Pure. */
import { COMMIT_FILE, objectStatusPath, SUMMARY_FILE } from "./paths.ts";
import { renderCommitStatus, renderObjectStatus } from "./render-object.ts";
import { renderSummary } from "./render-summary.ts";
import type { StatusSnapshot } from "./types.ts";

export interface StatusFiles {
  /** Files to write. */
  readonly files: ReadonlyMap<string, string>;
  /** True when `files` holds the complete object set (stale owned object files are deleted). */
  readonly replaceObjects: boolean;
  /**
   * Narrows which owned files this writer may delete (a shard's replica: only its shards' files).
   * Absent: every owned file.
   */
  readonly owns?: (path: string) => boolean;
}

export interface RenderLimits {
  /** Per object/commit file (bosun.yaml status.maxFileBytes, default 64 KiB). */
  readonly maxFileBytes: number;
  /** STATUS.md (default 1 MiB). */
  readonly maxSummaryBytes: number;
}

export const DEFAULT_LIMITS: RenderLimits = { maxFileBytes: 65_536, maxSummaryBytes: 1_048_576 };

export function renderStatusFiles(snapshot: StatusSnapshot, limits: RenderLimits = DEFAULT_LIMITS): StatusFiles {
  const files = new Map<string, string>();
  files.set(COMMIT_FILE, renderCommitStatus(snapshot.commit, limits.maxFileBytes));
  if (snapshot.objects) {
    for (const o of snapshot.objects) files.set(objectStatusPath(o), renderObjectStatus(o, limits.maxFileBytes));
  }
  files.set(SUMMARY_FILE, renderSummary(snapshot.commit, snapshot.objects, limits.maxSummaryBytes));
  return { files, replaceObjects: snapshot.objects !== undefined };
}
