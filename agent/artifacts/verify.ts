/**
 * Streams bytes to `<dest>.partial` while hashing them; only a matching SHA-256 renames the file to
 * `dest`. A mismatch deletes the partial file and throws ChecksumMismatch: nothing is installed.
 */
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { chmod, rename, rm } from "node:fs/promises";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Readable } from "node:stream";
import { AgentError } from "../errors.ts";

export async function writeVerified(
  source: Readable,
  dest: string,
  expectedSha256: string,
  subject: string,
  signal?: AbortSignal,
): Promise<{ bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      cb(null, chunk);
    },
  });
  const partial = `${dest}.partial`;
  try {
    await pipeline(source, tap, createWriteStream(partial, { mode: 0o600 }), ...(signal ? [{ signal }] : []));
  } catch (err) {
    await rm(partial, { force: true });
    throw new AgentError(
      "DownloadFailed",
      subject,
      `download interrupted after ${bytes} bytes: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const actual = hash.digest("hex");
  if (actual !== expectedSha256.toLowerCase()) {
    await rm(partial, { force: true });
    throw new AgentError(
      "ChecksumMismatch",
      subject,
      `checksum mismatch: expected sha256 ${expectedSha256}, got ${actual} (${bytes} bytes); nothing was installed — fix spec.artifact.checksumSHA256 or the artifact`,
    );
  }
  await chmod(partial, 0o755);
  await rename(partial, dest);
  return { bytes };
}
