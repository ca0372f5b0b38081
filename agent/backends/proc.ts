/** Process identity from /proc (Linux): start time in clock ticks since boot guards against pid reuse. */
import { readFile } from "node:fs/promises";
import { isoTime } from "../iso-time.ts";

export interface ProcInfo {
  state: string;
  ppid: number;
  pgrp: number;
  startTicks: string;
}

export async function readProcStat(pid: number): Promise<ProcInfo | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // comm may hold spaces and parentheses: fields start after the last ')'.
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // rest[0] = field 3 (state); field 22 (starttime) = rest[19].
  const state = rest[0] ?? "?";
  return { state, ppid: Number(rest[1]), pgrp: Number(rest[2]), startTicks: rest[19] ?? "" };
}

/** True when `pid` is alive (not a zombie) and, if given, started at `startTicks`. */
export async function isSameLiveProcess(pid: number, startTicks?: string): Promise<boolean> {
  const info = await readProcStat(pid);
  if (!info || info.state === "Z" || info.state === "X") return false;
  return startTicks === undefined || info.startTicks === startTicks;
}

let bootMs: number | undefined;
/** Wall-clock ISO time of a process start in clock ticks (USER_HZ 100 on Linux). */
export async function startTimeOf(startTicks: string): Promise<string> {
  if (bootMs === undefined) {
    const stat = await readFile("/proc/stat", "utf8");
    const btime = /^btime (\d+)$/m.exec(stat)?.[1];
    bootMs = Number(btime ?? 0) * 1000;
  }
  return isoTime(bootMs + Number(startTicks) * 10);
}

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/** Graceful stop of a pid (and its process group when it leads one): SIGTERM, wait, SIGKILL. */
export async function terminate(
  pid: number,
  opts: { timeoutMs: number; group: boolean; startTicks?: string },
): Promise<"exited" | "killed" | "gone"> {
  const send = (sig: NodeJS.Signals): boolean => {
    try {
      process.kill(opts.group ? -pid : pid, sig);
      return true;
    } catch {
      try {
        process.kill(pid, sig);
        return true;
      } catch {
        return false;
      }
    }
  };
  if (!(await isSameLiveProcess(pid, opts.startTicks))) return "gone";
  send("SIGTERM");
  const deadline = Date.now() + opts.timeoutMs;
  while (Date.now() < deadline) {
    await sleep(50);
    if (!(await isSameLiveProcess(pid, opts.startTicks))) {
      // The leader is gone; stragglers in its group do not outlive it.
      if (opts.group)
        try {
          process.kill(-pid, "SIGKILL");
        } catch {
          /* group already empty */
        }
      return "exited";
    }
  }
  send("SIGKILL");
  for (let i = 0; i < 100 && (await isSameLiveProcess(pid, opts.startTicks)); i++) await sleep(50);
  return "killed";
}
