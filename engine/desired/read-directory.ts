import { constants } from "node:fs";
import { lstat, open, readdir, readlink } from "node:fs/promises";
import { join, posix, relative, sep } from "node:path";
import { BosunError } from "../model/errors.ts";
import type { FleetFile } from "../model/fleet-object.ts";
import { CONFIG_FILE, defaultConfig } from "./bosun-config.ts";
import { isFleetPath } from "./fleet-path.ts";
import { loadConfig } from "./load-config.ts";

/** Folders never entered (nor watched, engine/git/local-dir.ts): git's own data and npm's. */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set([".git", "node_modules"]);

/** bosun.yaml has no size rule of its own; it is read up to this (and the limit when it is a link). */
const CONFIG_CAP = 16 * 1024 * 1024;

/** Opened without following a link swapped in after the listing, and without blocking on a FIFO. */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

export interface ReadDirectoryOptions {
  /** Repo-relative paths to leave out (a folder leaves out everything under it), e.g. a status folder. */
  readonly exclude?: (path: string) => boolean;
}

interface Entry {
  readonly path: string;
  readonly full: string;
  readonly link: boolean;
}

/**
 * Reads a working tree into FleetFiles: the one reader behind `bosun validate`, `bosun plan DIR`
 * and `bosun serve --dir` (a commit is read from git objects instead, engine/git/read-files.ts),
 * selecting what a commit would give the loader:
 * - fleet paths only (isFleetPath); SKIPPED_DIRS are never entered; `exclude` leaves out more;
 * - a symlink is reported as a link (its text as bytes, as git stores it), never followed: the
 *   loader accepts it only when it stays inside the repo;
 * - a file over bosun.yaml's `paths.maxFileBytes` is read only up to one byte past the limit, so
 *   the loader reports it (FILE_TOO_LARGE) without the whole file in memory;
 * - sockets, FIFOs and devices are skipped (reading a FIFO would block);
 * - sorted by path (UTF-16 code units), whatever order the file system lists entries in.
 */
export async function readDirectory(
  root: string,
  signal?: AbortSignal,
  options: ReadDirectoryOptions = {},
): Promise<FleetFile[]> {
  const st = await lstat(root);
  if (!st.isDirectory()) {
    throw new BosunError(root, "is not a directory; pass the root of a fleet repo", { code: "NOT_A_DIRECTORY" });
  }
  const entries = await list(root, options.exclude, signal);
  const config = entries.find((e) => e.path === CONFIG_FILE && !e.link);
  const configBytes = config ? await readCapped(config, CONFIG_CAP, signal) : undefined;
  const limit = entries.some((e) => e.path === CONFIG_FILE && e.link)
    ? CONFIG_CAP
    : configBytes
      ? loadConfig(configBytes).config.paths.maxFileBytes
      : defaultConfig.paths.maxFileBytes;
  const out: FleetFile[] = [];
  for (const entry of entries) {
    signal?.throwIfAborted();
    if (entry.link) {
      const target = await readlink(entry.full);
      out.push({ path: entry.path, bytes: new TextEncoder().encode(target), linkTarget: target });
    } else {
      const bytes = entry === config && configBytes ? configBytes : await readCapped(entry, limit, signal);
      out.push({ path: entry.path, bytes });
    }
  }
  return out;
}

/** The fleet files and links under `root`, sorted by path. */
async function list(root: string, exclude: ReadDirectoryOptions["exclude"], signal?: AbortSignal): Promise<Entry[]> {
  const out: Entry[] = [];
  const walk = async (dir: string): Promise<void> => {
    signal?.throwIfAborted();
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, e.name);
      const path = relative(root, full).split(sep).join(posix.sep);
      if (exclude?.(path)) continue;
      if (e.isDirectory()) {
        if (!SKIPPED_DIRS.has(e.name)) await walk(full);
      } else if ((e.isFile() || e.isSymbolicLink()) && isFleetPath(path)) {
        out.push({ path, full, link: e.isSymbolicLink() });
      }
    }
  };
  await walk(root);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The file's bytes, at most `cap + 1` of them: enough for the loader to see it is over `cap`. */
async function readCapped(entry: Entry, cap: number, signal?: AbortSignal): Promise<Uint8Array> {
  const handle = await open(entry.full, OPEN_FLAGS);
  try {
    const st = await handle.stat();
    if (!st.isFile()) {
      const message = "changed from a file to something else while being read; read again";
      throw new BosunError(entry.path, message, { code: "FILE_CHANGED" });
    }
    const buffer = Buffer.alloc(Math.min(st.size, cap + 1));
    let offset = 0;
    while (offset < buffer.length) {
      signal?.throwIfAborted();
      const { bytesRead } = await handle.read(buffer, offset, buffer.length - offset, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
    }
    return buffer.subarray(0, offset);
  } finally {
    await handle.close();
  }
}
