import { execFile } from "node:child_process";
import { LibvirtError, type LibvirtErrorKind } from "./errors.ts";

export interface ToolResult {
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** The error's subject when the tool fails ("libvirt qemu:///system domain x"). */
  readonly subject: string;
  /** Kind of a non-zero exit when `classify` does not say otherwise. */
  readonly failureKind: LibvirtErrorKind;
  readonly classify?: (stderr: string) => LibvirtErrorKind;
  readonly signal?: AbortSignal;
  /** Killed (SIGKILL) after this long and reported as `timeoutKind` (default 60 s). */
  readonly timeoutMs?: number;
  readonly timeoutKind?: LibvirtErrorKind;
  readonly input?: string;
}

/**
 * Runs one tool as a child process (no shell), with the caller's AbortSignal and a deadline; a non-zero exit is a
 * {@link LibvirtError} naming the subject, the command line and the tool's last stderr line(s).
 */
export function runTool(tool: string, args: readonly string[], opts: RunOptions): Promise<ToolResult> {
  const { subject, signal } = opts;
  const cmd = `${tool} ${args.join(" ")}`;
  if (signal?.aborted)
    return Promise.reject(new LibvirtError(subject, "aborted", `${cmd}: aborted`, { cause: signal.reason }));
  return new Promise((resolve, reject) => {
    const timeoutMs = opts.timeoutMs ?? 60_000;
    let timedOut = false;
    const child = execFile(
      tool,
      args,
      { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, env: { ...process.env, LC_ALL: "C" } },
      (err, stdout, stderr) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        if (!err) return resolve({ stdout, stderr });
        const e = err as NodeJS.ErrnoException & { killed?: boolean };
        if (e.code === "ENOENT")
          return reject(
            new LibvirtError(subject, "tool-missing", `${tool} is not installed (run lab/libvirt/install.sh)`, {
              cause: err,
            }),
          );
        if (signal?.aborted)
          return reject(new LibvirtError(subject, "aborted", `${cmd}: aborted`, { cause: signal.reason }));
        if (timedOut)
          return reject(
            new LibvirtError(subject, opts.timeoutKind ?? "unavailable", `${cmd}: no answer within ${timeoutMs} ms`, {
              cause: err,
            }),
          );
        const text = lastLines(stderr || stdout);
        const kind = opts.classify ? opts.classify(text) : opts.failureKind;
        reject(new LibvirtError(subject, kind, `${cmd}: ${text || `exit ${String(e.code)}`}`, { cause: err }));
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    const onAbort = (): void => void child.kill("SIGKILL");
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function lastLines(text: string): string {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .slice(-3)
    .join("; ");
}
