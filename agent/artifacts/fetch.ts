/**
 * Fetches one artifact (http(s), oci, file) into the artifact store, verified by SHA-256 while
 * streaming, with retries and exponential back-off on transient failures. A verified artifact is
 * stored under its checksum and reused; the previous version's file stays until it is pruned.
 */
import { createReadStream } from "node:fs";
import { access, mkdir, readdir, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Readable } from "node:stream";
import { AgentError } from "../errors.ts";
import type { ArtifactSpec } from "../model.ts";
import { request, type TlsOptions } from "../net/request.ts";
import { sleep } from "../backends/proc.ts";
import { authFor } from "./docker-config.ts";
import { httpError, openOciBlob, parseOciRef } from "./oci.ts";
import { writeVerified } from "./verify.ts";

export interface FetchOptions {
  /** <stateDir>/artifacts/<unitName> */
  dir: string;
  subject: string;
  allowInsecureHttp: boolean;
  tls?: TlsOptions;
  /** The pull secret's .dockerconfigjson, when spec.artifact.pullSecretRef is set. */
  dockerConfigJson?: () => Promise<string | undefined>;
  attempts?: number;
  backoffMs?: number;
  signal?: AbortSignal;
  onRetry?: (attempt: number, err: Error, delayMs: number) => void;
}

export interface FetchedArtifact {
  path: string;
  sha256: string;
  reused: boolean;
}

function fileNameOf(a: ArtifactSpec): string {
  const raw =
    a.type === "oci"
      ? (parseOciRef(a.url).repository.split("/").pop() ?? "artifact")
      : basename(new URL(a.url).pathname) || "artifact";
  return raw.replace(/[^A-Za-z0-9_.-]/g, "_") || "artifact";
}

/** Transient: network errors and 5xx/408/429. Checksum, scheme and 4xx failures are not retried. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof AgentError) {
    if (err.kind !== "DownloadFailed") return false;
    const status = (err as AgentError & { httpStatus?: number }).httpStatus;
    return status === undefined || status >= 500 || status === 408 || status === 429;
  }
  return true;
}

async function open(a: ArtifactSpec, o: FetchOptions): Promise<Readable> {
  if (a.type === "file") {
    if (!a.url.startsWith("file://"))
      throw new AgentError("BadArtifact", o.subject, `file artifacts need a file:// URL, got ${a.url}`);
    const path = fileURLToPath(a.url);
    try {
      await access(path);
    } catch (err) {
      throw new AgentError("BadArtifact", o.subject, `pre-staged artifact ${path} does not exist on the device`, {
        cause: err,
      });
    }
    return createReadStream(path);
  }
  if (a.type === "oci") {
    const ref = parseOciRef(a.url);
    const json = a.pullSecretRef ? await o.dockerConfigJson?.() : undefined;
    if (a.pullSecretRef && !json)
      throw new AgentError(
        "BadArtifact",
        o.subject,
        `pull secret ${a.pullSecretRef.name} is missing or not of type kubernetes.io/dockerconfigjson`,
      );
    const auth = json ? authFor(json, ref.host) : undefined;
    return openOciBlob(a.url, a.checksumSHA256, {
      scheme: o.allowInsecureHttp ? "http" : "https",
      subject: o.subject,
      ...(auth ? { auth } : {}),
      ...(o.tls ? { tls: o.tls } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
  }
  const url = new URL(a.url);
  if (url.protocol === "http:" && !o.allowInsecureHttp) {
    throw new AgentError(
      "InsecureSource",
      o.subject,
      `artifact URL ${url.origin}${url.pathname} is plain HTTP; use HTTPS or start the agent with --allow-insecure-http`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new AgentError("BadArtifact", o.subject, `unsupported artifact URL scheme ${url.protocol}`);
  const res = await request(url, {
    maxRedirects: 5,
    ...(o.tls ? { tls: o.tls } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  if (res.statusCode !== 200) {
    res.resume();
    throw httpError(o.subject, `GET ${url.origin}${url.pathname}`, res.statusCode ?? 0);
  }
  return res;
}

export async function fetchArtifact(a: ArtifactSpec, o: FetchOptions): Promise<FetchedArtifact> {
  const sha = a.checksumSHA256.toLowerCase();
  if (!/^[a-f0-9]{64}$/.test(sha))
    throw new AgentError(
      "BadArtifact",
      o.subject,
      "spec.artifact.checksumSHA256 must be 64 hex characters (verification is mandatory)",
    );
  const dir = join(o.dir, sha);
  const path = join(dir, fileNameOf(a));
  try {
    await access(path);
    return { path, sha256: sha, reused: true }; // only ever renamed into place after verification
  } catch {
    /* not yet here */
  }
  await mkdir(dir, { recursive: true });
  const attempts = o.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    try {
      const stream = await open(a, o);
      await writeVerified(stream, path, sha, o.subject, o.signal);
      return { path, sha256: sha, reused: false };
    } catch (err) {
      if (o.signal?.aborted || attempt >= attempts || !isRetryable(err)) {
        await rm(dir, { recursive: true, force: true });
        if (err instanceof AgentError) throw err;
        throw new AgentError(
          "DownloadFailed",
          o.subject,
          `cannot fetch ${a.url} after ${attempt} attempt(s): ${(err as Error).message}`,
          { cause: err },
        );
      }
      const delay = (o.backoffMs ?? 1000) * 2 ** (attempt - 1);
      o.onRetry?.(attempt, err as Error, delay);
      await sleep(delay, o.signal);
    }
  }
}

/** Deletes stored versions other than `keep` (checksums). */
export async function pruneArtifacts(dir: string, keep: string[]): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return;
  }
  for (const e of entries) if (!keep.includes(e)) await rm(join(dir, e), { recursive: true, force: true });
}
