/**
 * A running lab VM as the lab sees it: a child Node process (`process`, the default: its own PID,
 * real CPU time and RSS from /proc for status/current) or an in-process guest (`in-process`, for
 * benchmarks with many VMs: the same guest code, CPU and memory then estimated).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { bootGuest, type GuestOptions } from "./boot.ts";

export type WorkerMode = "process" | "in-process";

export interface WorkerHandle {
  readonly pid: number;
  /** Settles when the guest has stopped (process exited / kubelet loop ended). */
  readonly exited: Promise<void>;
  readonly hasExited: () => boolean;
  /** ACPI shutdown (`graceful`: NotReady posted, then exit) or power off (`hard`); true when it stopped in time. */
  stop(how: "graceful" | "hard", timeoutMs: number): Promise<boolean>;
  /** CPU seconds used so far and resident bytes. */
  usage(): Promise<{ cpuSeconds: number; rssBytes: number }>;
}

const MAIN = join(import.meta.dirname, "main.ts");
let fakePid = 100_000;

export function startWorker(o: GuestOptions, mode: WorkerMode, onExit: () => void): WorkerHandle {
  return mode === "process" ? processWorker(o, onExit) : inProcessWorker(o, onExit);
}

function processWorker(o: GuestOptions, onExit: () => void): WorkerHandle {
  const console = createWriteStream(join(o.vmDir, "console.log"), { flags: "a" });
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", MAIN, JSON.stringify(o)], {
    stdio: ["ignore", "pipe", "pipe"],
    cwd: join(import.meta.dirname, "../../.."), // the repo, where `tsx` resolves
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  child.stdout?.pipe(console, { end: false });
  child.stderr?.pipe(console, { end: false });
  let done = false;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => {
      done = true;
      console.end();
      onExit();
      resolve();
    }),
  );
  const waitExit = (ms: number): Promise<boolean> =>
    Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(done), ms).unref())]);
  return {
    pid: child.pid ?? 0,
    exited,
    hasExited: () => done,
    async stop(how, timeoutMs) {
      if (done) return true;
      child.kill(how === "graceful" ? "SIGTERM" : "SIGKILL");
      return waitExit(timeoutMs);
    },
    async usage() {
      if (done || !child.pid) return { cpuSeconds: 0, rssBytes: 0 };
      try {
        const stat = (await readFile(`/proc/${child.pid}/stat`, "utf8")).split(") ")[1]?.split(" ") ?? [];
        const ticks = Number(stat[11] ?? 0) + Number(stat[12] ?? 0); // utime + stime
        const statm = (await readFile(`/proc/${child.pid}/statm`, "utf8")).split(" ");
        return { cpuSeconds: ticks / 100, rssBytes: Number(statm[1] ?? 0) * 4096 };
      } catch {
        return { cpuSeconds: 0, rssBytes: 0 };
      }
    },
  };
}

function inProcessWorker(o: GuestOptions, onExit: () => void): WorkerHandle {
  const stop = new AbortController();
  let graceful = false;
  let done = false;
  const started = Date.now();
  const console = createWriteStream(join(o.vmDir, "console.log"), { flags: "a" });
  console.on("error", () => undefined);
  const log = (message: string, fields: Record<string, unknown> = {}): void => {
    console.write(`${JSON.stringify({ time: new Date().toISOString(), vmid: o.vmid, message, ...fields })}\n`);
  };
  const exited = bootGuest(o, log, stop.signal, () => graceful)
    .catch((e: unknown) => log("guest crashed", { error: e instanceof Error ? e.message : String(e) }))
    .finally(() => {
      done = true;
      console.end();
      onExit();
    });
  return {
    pid: ++fakePid,
    exited,
    hasExited: () => done,
    async stop(how, timeoutMs) {
      graceful = how === "graceful";
      stop.abort();
      return Promise.race([
        exited.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(done), timeoutMs).unref()),
      ]);
    },
    async usage() {
      // Estimated: a kubelet idles at about 2 % of a core and holds some 60 MiB.
      return { cpuSeconds: ((Date.now() - started) / 1000) * 0.02, rssBytes: 60 * 1024 * 1024 };
    },
  };
}
