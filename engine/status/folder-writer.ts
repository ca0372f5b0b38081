/**
 * Status write-back to a local folder (local-directory mode has no remote to commit to): the same
 * files as the status branch (`_commit.yaml`, `STATUS.md`, `objects/…`), written only when their
 * text changed, each via a temp file + rename. Files Bosun does not own are never touched.
 */
import { mkdir, readdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { BosunError } from "../model/errors.ts";
import type { StatusFiles } from "./documents.ts";
import { isOwnedStatusPath, OBJECTS_DIR } from "./paths.ts";

export interface FolderWriteResult {
  /** Paths (relative to the folder) written or deleted; empty when nothing changed. */
  readonly changed: readonly string[];
}

/** The status folder could not be written. Code `STATUS_FOLDER`. */
export class StatusFolderError extends BosunError {
  override readonly name = "StatusFolderError";
  constructor(dir: string, message: string, options?: { cause?: unknown }) {
    super(`status folder ${dir}`, message, { ...options, code: "STATUS_FOLDER" });
  }
}

export class StatusFolderWriter {
  constructor(readonly dir: string) {}

  async write(status: StatusFiles, signal?: AbortSignal): Promise<FolderWriteResult> {
    const changed: string[] = [];
    try {
      for (const [path, text] of status.files) {
        signal?.throwIfAborted();
        const full = join(this.dir, path);
        const current = await readFile(full, "utf8").catch(() => undefined);
        if (current === text) continue;
        await mkdir(dirname(full), { recursive: true });
        const tmp = `${full}.bosun-tmp`;
        await writeFile(tmp, text);
        await rename(tmp, full);
        changed.push(path);
      }
      if (status.replaceObjects) {
        for (const path of await this.ownedObjectFiles()) {
          if (status.files.has(path)) continue;
          signal?.throwIfAborted();
          await unlink(join(this.dir, path));
          changed.push(path);
        }
      }
    } catch (err) {
      if (signal?.aborted) throw err;
      const code = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
      const advice = "check --status-dir / local.statusDir and its permissions";
      throw new StatusFolderError(this.dir, `cannot write status to it (${code}); ${advice}`, { cause: err });
    }
    return { changed };
  }

  private async ownedObjectFiles(): Promise<string[]> {
    const root = join(this.dir, OBJECTS_DIR);
    const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
    return entries
      .filter((e) => e.isFile())
      .map((e) => relative(this.dir, join(e.parentPath, e.name)).split(sep).join("/"))
      .filter(isOwnedStatusPath);
  }
}
