import { spawn } from "node:child_process";
import { openSync, closeSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeLabError } from "./errors.ts";

/**
 * Starts a server process detached from the caller (its own process group, output to a log file),
 * so it outlives the worker that started it; it is stopped by PID with {@link stopPid}.
 */
export function startDetached(bin: string, args: readonly string[], logFile: string): number {
  const fd = openSync(logFile, "a");
  try {
    const child = spawn(bin, args, { stdio: ["ignore", fd, fd], detached: true });
    if (child.pid === undefined) throw new KubeLabError(`could not start ${bin}`);
    child.on("error", () => undefined);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** True when `pid` is alive and its command line mentions `name` (guards against PID reuse). */
export function pidRunning(pid: number, name: string): boolean {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // A zombie (state Z) has exited and only waits to be reaped.
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return cmd.includes(name) && state !== "Z";
  } catch {
    return false;
  }
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL; resolves when the process is gone. */
export async function stopPid(pid: number, name: string, graceMs = 10_000): Promise<void> {
  if (!pidRunning(pid, name)) return;
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  for (let waited = 0; waited < graceMs; waited += 50) {
    if (!pidRunning(pid, name)) return;
    await sleep(50);
  }
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    return;
  }
  while (pidRunning(pid, name)) await sleep(50);
}
