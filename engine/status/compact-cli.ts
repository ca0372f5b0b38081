/**
 * Compacts a status branch from the command line (a maintenance job, e.g. weekly):
 *
 *   BOSUN_GIT_USERNAME=… BOSUN_GIT_PASSWORD=… node --import tsx engine/status/compact-cli.ts \
 *     --repo https://git.example.com/platform/fleet.git [--branch bosun/status] [--keep-recent 100] \
 *     [--mirror DIR] [--identity-name Bosun --identity-email bosun@localhost]
 *
 * Credentials come from the engine's env variables (BOSUN_GIT_USERNAME/PASSWORD or BOSUN_GIT_TOKEN). Exit 0 when
 * compacted or nothing to do, 1 on failure, 3 when the branch moved meanwhile (run it again).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadCredentials } from "../git/credentials.ts";
import { GitMirror } from "../git/mirror.ts";
import { compactStatusBranch } from "./compact.ts";
import { DEFAULT_IDENTITY } from "./writer.ts";

const { values } = parseArgs({
  options: {
    repo: { type: "string" },
    branch: { type: "string", default: "bosun/status" },
    "keep-recent": { type: "string", default: "100" },
    mirror: { type: "string" },
    "identity-name": { type: "string", default: DEFAULT_IDENTITY.name },
    "identity-email": { type: "string", default: DEFAULT_IDENTITY.email },
  },
});
if (!values.repo) {
  process.stderr.write("usage: compact-cli.ts --repo URL [--branch B] [--keep-recent N] [--mirror DIR]\n");
  process.exit(2);
}
const dir = values.mirror ?? (await mkdtemp(join(tmpdir(), "bosun-compact-")));
try {
  const credentials = await loadCredentials({ kind: "env" });
  const mirror = await GitMirror.open({ gitdir: dir, url: values.repo, ...(credentials ? { credentials } : {}) });
  const result = await compactStatusBranch(mirror, {
    branch: values.branch,
    identity: { name: values["identity-name"], email: values["identity-email"] },
    keepRecent: Number(values["keep-recent"]),
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exitCode = result.outcome === "rejected" ? 3 : 0;
} catch (err) {
  process.stderr.write(`compaction failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
} finally {
  if (!values.mirror) await rm(dir, { recursive: true, force: true });
}
