import { spawn } from "node:child_process";
import { access, constants } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { binariesMarker, kubeBinaries, type KubeBinaries } from "./paths.ts";
import { KubeLabError } from "./errors.ts";

export interface EnsureOptions {
  readonly signal?: AbortSignal;
  /** One call per progress line of the installer (apt, source fetch, build heartbeat). */
  readonly onProgress?: (line: string) => void;
  readonly env?: NodeJS.ProcessEnv;
}

const INSTALLER = fileURLToPath(new URL("./install.sh", import.meta.url));

async function exists(path: string, mode: number): Promise<boolean> {
  try {
    await access(path, mode);
    return true;
  } catch {
    return false;
  }
}

/** True when the cached kube binaries and their marker exist (no build needed). */
export async function kubeBinariesCached(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const b = kubeBinaries(env);
  const checks = await Promise.all([
    exists(binariesMarker(env), constants.R_OK),
    exists(b.kubeApiServer, constants.X_OK),
    exists(b.kubeControllerManager, constants.X_OK),
    exists(b.etcd, constants.X_OK),
  ]);
  return checks.every(Boolean);
}

/**
 * Makes sure etcd, kube-apiserver and kube-controller-manager are available, building the two
 * kube binaries from Debian's source package on first use (≈5 min on 2 cores). Idempotent and
 * safe to call concurrently: install.sh holds a lock file and re-checks the cache under it.
 */
export async function ensureKubeBinaries(opts: EnsureOptions = {}): Promise<KubeBinaries> {
  const env = opts.env ?? process.env;
  if (await kubeBinariesCached(env)) return kubeBinaries(env);
  opts.signal?.throwIfAborted();
  await new Promise<void>((resolve, reject) => {
    const child = spawn("bash", [INSTALLER], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const tail: string[] = [];
    let buffered = "";
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString("utf8");
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        tail.push(line);
        if (tail.length > 40) tail.shift();
        opts.onProgress?.(line);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", (err) => reject(new KubeLabError("kube binaries installer could not run", { cause: err })));
    child.on("close", (code, sig) => {
      if (code === 0) resolve();
      else reject(new KubeLabError(`kube binaries installer failed (exit ${code ?? sig}):\n${tail.join("\n")}`));
    });
  });
  if (!(await kubeBinariesCached(env)))
    throw new KubeLabError("installer finished but the cached binaries are missing");
  return kubeBinaries(env);
}
