import { request as httpsRequest } from "node:https";
import { request as httpRequest } from "node:http";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeLabError } from "./errors.ts";

interface Probe {
  readonly url: string;
  readonly caFile?: string;
  readonly token?: string;
}

function probeOnce(p: Probe, signal?: AbortSignal): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(p.url);
    const headers: Record<string, string> = {};
    if (p.token !== undefined) headers["authorization"] = `Bearer ${p.token}`;
    const opts = {
      method: "GET",
      headers,
      timeout: 2_000,
      ...(signal ? { signal } : {}),
      ...(p.caFile !== undefined ? { ca: readFileSync(p.caFile) } : {}),
    };
    const req = (u.protocol === "https:" ? httpsRequest : httpRequest)(u, opts, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("probe timeout")));
    req.on("error", reject);
    req.end();
  });
}

/**
 * Polls `url` until it answers 200, the process dies (`alive()` false) or `timeoutMs` passes.
 * Not a timed assertion: the timeout only bounds a hung start.
 */
export async function waitReady(
  what: string,
  p: Probe,
  alive: () => boolean,
  opts: { timeoutMs?: number; signal?: AbortSignal; logFile?: string } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
  let last = "";
  while (Date.now() < deadline) {
    opts.signal?.throwIfAborted();
    if (!alive()) throw new KubeLabError(`${what} exited during start${logHint(opts.logFile)}`);
    try {
      const r = await probeOnce(p, opts.signal);
      if (r.status === 200) return;
      last = `HTTP ${r.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(100, undefined, opts.signal ? { signal: opts.signal } : {});
  }
  throw new KubeLabError(
    `${what} not ready after ${opts.timeoutMs ?? 90_000} ms (last: ${last})${logHint(opts.logFile)}`,
  );
}

function logHint(logFile?: string): string {
  if (logFile === undefined) return "";
  try {
    const text = readFileSync(logFile, "utf8").split("\n").slice(-15).join("\n");
    return `; log ${logFile}:\n${text}`;
  } catch {
    return `; log ${logFile}`;
  }
}
