import { posix } from "node:path";
import type { FleetFile } from "../model/fleet-object.ts";

export type Resolved = { ok: true; file: FleetFile } | { ok: false; reason: string };

/**
 * Follows a symlink entry inside the repo (chains up to 8 deep). A link that leaves the repo,
 * is absolute, dangles or loops is refused.
 */
export function resolveSymlink(file: FleetFile, byPath: ReadonlyMap<string, FleetFile>): Resolved {
  let current = file;
  for (let hops = 0; hops < 8; hops++) {
    const target = current.linkTarget;
    if (target === undefined) return { ok: true, file: { path: file.path, bytes: current.bytes } };
    if (posix.isAbsolute(target))
      return { ok: false, reason: `is a symlink to the absolute path ${JSON.stringify(target)}, outside the repo` };
    const joined = posix.normalize(posix.join(posix.dirname(current.path), target));
    if (joined === ".." || joined.startsWith("../"))
      return { ok: false, reason: `is a symlink to ${JSON.stringify(target)}, which leaves the repo` };
    const next = byPath.get(joined);
    if (!next)
      return { ok: false, reason: `is a symlink to ${JSON.stringify(target)}, which does not exist in the repo` };
    current = next;
  }
  return { ok: false, reason: "is a symlink chain longer than 8 links (a loop?)" };
}
