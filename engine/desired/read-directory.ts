import { lstat, open, readdir, readlink } from "node:fs/promises";
import { join, posix, relative, sep } from "node:path";
import { BosunError } from "../model/errors.ts";
import type { FleetFile } from "../model/fleet-object.ts";

/** Bytes read per file at most: enough for the loader to see that a file is over its limit. */
const READ_CAP = 16 * 1024 * 1024;

async function readCapped(path: string, signal?: AbortSignal): Promise<Uint8Array> {
  const handle = await open(path, "r");
  try {
    const size = (await handle.stat()).size;
    const buffer = Buffer.alloc(Math.min(size, READ_CAP + 1));
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

/**
 * Reads a working tree into FleetFiles (the development mode; commits are read from git
 * objects instead). Symlinks are passed as links, never followed here: the loader decides.
 */
export async function readDirectory(root: string, signal?: AbortSignal): Promise<FleetFile[]> {
  const out: FleetFile[] = [];
  const walk = async (dir: string): Promise<void> => {
    signal?.throwIfAborted();
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.name === ".git" || entry.name === "node_modules") continue;
      const full = join(dir, entry.name);
      const path = relative(root, full).split(sep).join(posix.sep);
      if (entry.isSymbolicLink()) {
        out.push({ path, bytes: new Uint8Array(), linkTarget: await readlink(full) });
      } else if (entry.isDirectory()) {
        await walk(full);
      } else if (entry.isFile()) {
        out.push({ path, bytes: await readCapped(full, signal) });
      }
    }
  };
  const st = await lstat(root);
  if (!st.isDirectory()) throw new BosunError(root, "is not a directory; pass the root of a fleet repo");
  await walk(root);
  return out;
}
