/**
 * Development mode: desired state from a local working tree instead of a remote. The files are
 * read by engine/desired/read-directory.ts (the same reader as `bosun validate`); this module
 * names a tree's content (`localRevision`) and watches the tree with chokidar, debounced, calling
 * `onChange` once per burst of edits.
 */
import { lstat } from "node:fs/promises";
import { relative, sep } from "node:path";
import { createHash } from "node:crypto";
import { watch, type FSWatcher } from "chokidar";
import { SKIPPED_DIRS } from "../desired/read-directory.ts";
import type { FleetFile } from "../model/fleet-object.ts";

/** A content digest standing in for a commit SHA in local mode (`local:<sha256 prefix>`). Pure. */
export function localRevision(files: readonly FleetFile[]): string {
  const h = createHash("sha256");
  for (const f of files) {
    h.update(f.path)
      .update("\0")
      .update(f.linkTarget ?? "")
      .update("\0")
      .update(f.bytes)
      .update("\0");
  }
  return `local:${h.digest("hex").slice(0, 40)}`;
}

export interface LocalWatch {
  /** Resolves once the initial scan is done and changes are being reported. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * Watches `root` and calls `onChange` `debounceMs` after the last change of a burst.
 * Initial files do not count as changes. close() is never called from inside a watcher event
 * (chokidar 5 leaks an fs.watch handle then); it defers to a fresh macrotask.
 */
export function watchLocalDir(
  root: string,
  onChange: () => void,
  options: { debounceMs?: number; ignore?: (path: string) => boolean; onError?: (error: unknown) => void } = {},
): LocalWatch {
  const debounceMs = options.debounceMs ?? 200;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const watcher: FSWatcher = watch(root, {
    ignoreInitial: true,
    ignored: (p: string) => {
      const rel = relative(root, p).split(sep).join("/");
      if (rel === "") return false;
      if (rel.split("/").some((part) => SKIPPED_DIRS.has(part))) return true;
      return options.ignore?.(rel) ?? false;
    },
  });
  const fire = (): void => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (!closed) onChange();
    }, debounceMs);
  };
  watcher.on("all", fire);
  // An EventEmitter "error" without a listener would crash the process (EACCES on a subfolder …).
  watcher.on("error", (error: unknown) => options.onError?.(error));
  const ready = new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
  return {
    ready,
    close: async () => {
      closed = true;
      if (timer) clearTimeout(timer);
      await ready;
      await new Promise<void>((resolve) => setImmediate(resolve));
      await watcher.close();
    },
  };
}

/** True when `path` exists and is a directory. */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isDirectory();
  } catch {
    return false;
  }
}
