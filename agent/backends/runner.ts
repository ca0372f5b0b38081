/**
 * The real CommandRunner: child_process.execFile with a timeout and an AbortSignal; never throws on a non-zero exit.
 */
import { execFile } from "node:child_process";
import type { CommandRunner, RunResult } from "./types.ts";

export const runCommand: CommandRunner = (cmd, args, options = {}) =>
  new Promise<RunResult>((resolve, reject) => {
    execFile(
      cmd,
      args,
      {
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.timeoutMs ? { timeout: options.timeoutMs, killSignal: "SIGKILL" as const } : {}),
        ...(options.env ? { env: options.env } : {}),
        ...(options.cwd ? { cwd: options.cwd } : {}),
        maxBuffer: 4 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        if (err && (err as NodeJS.ErrnoException).code === "ENOENT")
          return reject(new Error(`command not found: ${cmd}`, { cause: err }));
        if (err && err.name === "AbortError") return reject(err);
        const e = err as (Error & { code?: number | string; signal?: string | null }) | null;
        resolve({
          code: e ? (typeof e.code === "number" ? e.code : null) : 0,
          signal: e?.signal ?? null,
          stdout: String(stdout),
          stderr: String(stderr),
        });
      },
    );
  });

/** "`cmd args`: exit 1: stderr" for error messages. */
export function describeRun(cmd: string, args: string[], r: RunResult): string {
  const how = r.code !== null ? `exit ${r.code}` : `signal ${r.signal ?? "?"}`;
  return `\`${[cmd, ...args].join(" ")}\` failed (${how}): ${(r.stderr || r.stdout).trim().slice(0, 500)}`;
}
