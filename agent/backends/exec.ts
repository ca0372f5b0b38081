/**
 * The `exec` backend: the agent supervises the process directly (devices without an init system).
 * The process is spawned detached in its own process group, so an agent crash does not stop it;
 * its pid and /proc start time are recorded in the state dir, so a restarted agent re-adopts it
 * (and never starts a duplicate) after checking the pid is still the same process.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, open, readFile, rm, writeFile, rename } from "node:fs/promises";
import { join } from "node:path";
import { AgentError } from "../errors.ts";
import type { Launch } from "../supervise/launch.ts";
import { isSameLiveProcess, readProcStat, startTimeOf, terminate } from "./proc.ts";
import { runCommand } from "./runner.ts";
import type { Backend, CommandRunner, Observation } from "./types.ts";
import { lookupUser } from "./users.ts";
import { isoNow } from "../iso-time.ts";

interface PidRecord {
  pid: number;
  startTicks: string;
  startTime: string;
}
interface Exit {
  code: number | null;
  signal: string | null;
}

export interface ExecBackendOptions {
  stateDir: string;
  runner?: CommandRunner;
}

export class ExecBackend implements Backend {
  readonly name = "exec" as const;
  readonly selfRestarting = false;
  private readonly dir: string;
  private readonly logDir: string;
  private readonly runner: CommandRunner;
  /** Exit of children this agent process spawned (exit codes are only known to the parent). */
  private readonly exits = new Map<number, Exit>();
  private readonly children = new Map<number, ChildProcess>();
  /** Pid records this agent wrote or read (it is their only writer): no file read per liveness check. */
  private readonly records = new Map<string, PidRecord>();

  constructor(opts: ExecBackendOptions) {
    this.dir = join(opts.stateDir, "exec");
    this.logDir = join(opts.stateDir, "logs");
    this.runner = opts.runner ?? runCommand;
  }

  private recordPath(l: Launch): string {
    return join(this.dir, `${l.unitName}.json`);
  }

  private async readRecord(l: Launch): Promise<PidRecord | undefined> {
    const cached = this.records.get(l.unitName);
    if (cached) return cached;
    try {
      const rec = JSON.parse(await readFile(this.recordPath(l), "utf8")) as PidRecord;
      this.records.set(l.unitName, rec);
      return rec;
    } catch {
      return undefined;
    }
  }

  async prepare(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await mkdir(this.logDir, { recursive: true });
  }

  async start(l: Launch): Promise<Observation> {
    const current = await this.observe(l);
    if (current.state === "running") return current; // never a duplicate
    await this.prepare();
    const [cmd, ...args] = l.argv;
    if (!cmd) throw new AgentError("StartFailed", `DeviceProcess ${l.key}`, "execution.command is empty");
    const ids = l.user ? await lookupUser(l.user) : undefined;
    const log = await open(join(this.logDir, `${l.unitName}.log`), "a");
    let child: ChildProcess;
    try {
      child = spawn(cmd, args, {
        detached: true,
        stdio: ["ignore", log.fd, log.fd],
        env: { PATH: process.env["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin", ...l.env },
        ...(l.workingDir ? { cwd: l.workingDir } : {}),
        ...(ids ? { uid: ids.uid, gid: ids.gid } : {}),
      });
      // Before any await: a command that ends at once must not end unseen.
      const spawned = child;
      if (spawned.pid !== undefined) {
        const childPid = spawned.pid;
        this.children.set(childPid, spawned);
        spawned.once("exit", (code, signal) => {
          this.exits.set(childPid, { code, signal });
          this.children.delete(childPid);
        });
      }
      await new Promise<void>((resolve, reject) => {
        child.once("spawn", resolve);
        child.once("error", reject);
      });
    } catch (err) {
      throw new AgentError(
        "StartFailed",
        `DeviceProcess ${l.key}`,
        `cannot start ${cmd}: ${(err as Error).message}; check execution.command and the artifact`,
        { cause: err },
      );
    } finally {
      await log.close();
    }
    const pid = child.pid;
    if (pid === undefined) throw new AgentError("StartFailed", `DeviceProcess ${l.key}`, `cannot start ${cmd}: no pid`);
    child.unref();
    const info = await readProcStat(pid);
    const rec: PidRecord = {
      pid,
      startTicks: info?.startTicks ?? "",
      startTime: info ? await startTimeOf(info.startTicks) : isoNow(),
    };
    const tmp = `${this.recordPath(l)}.tmp`;
    await writeFile(tmp, JSON.stringify(rec));
    await rename(tmp, this.recordPath(l));
    this.records.set(l.unitName, rec);
    return { state: "running", pid, startTime: rec.startTime };
  }

  async observe(l: Launch): Promise<Observation> {
    const rec = await this.readRecord(l);
    if (!rec) return { state: "missing" };
    let exit = this.exits.get(rec.pid);
    if (!exit && (await isSameLiveProcess(rec.pid, rec.startTicks || undefined))) {
      return { state: "running", pid: rec.pid, startTime: rec.startTime };
    }
    // Our own child that just ended: its exit event (with the code) follows the zombie state shortly.
    // (Re-read first: the exit event may have come while /proc was being read.)
    exit ??= this.exits.get(rec.pid);
    for (let i = 0; !exit && this.children.has(rec.pid) && i < 40; i++) {
      await new Promise((r) => setTimeout(r, 25));
      exit = this.exits.get(rec.pid);
    }
    const out: Observation = { state: "exited", pid: rec.pid };
    if (exit?.code !== null && exit?.code !== undefined) out.exitCode = exit.code;
    if (exit?.signal) out.signal = exit.signal;
    return out;
  }

  async stop(l: Launch): Promise<void> {
    const rec = await this.readRecord(l);
    if (rec) {
      await terminate(rec.pid, {
        timeoutMs: l.stopTimeoutSec * 1000,
        group: true,
        ...(rec.startTicks ? { startTicks: rec.startTicks } : {}),
      });
      // Wait for the exit event of our own child so its exit code is known.
      for (let i = 0; i < 40 && this.children.has(rec.pid); i++) await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Forgets the recorded pid (after the controller has consumed an exit). */
  async forget(l: Launch): Promise<void> {
    const rec = await this.readRecord(l);
    if (rec) this.exits.delete(rec.pid);
    this.records.delete(l.unitName);
    await rm(this.recordPath(l), { force: true });
  }

  async remove(l: Launch): Promise<void> {
    await this.stop(l);
    await this.forget(l);
  }

  async execProbe(l: Launch, command: string[], timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return hostProbe(this.runner, l, command, timeoutMs, signal);
  }
}

/** Runs a health-check command on the host with the process's environment; exit 0 = healthy. */
export async function hostProbe(
  runner: CommandRunner,
  l: Launch,
  command: string[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<boolean> {
  const [cmd, ...args] = command;
  if (!cmd) return false;
  try {
    const r = await runner(cmd, args, {
      timeoutMs,
      env: { PATH: process.env["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin", ...l.env },
      ...(l.workingDir ? { cwd: l.workingDir } : {}),
      ...(signal ? { signal } : {}),
    });
    return r.code === 0;
  } catch {
    return false;
  }
}
