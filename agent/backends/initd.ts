/**
 * The `initd` backend: writes an LSB init script (initd-script.ts) into the init directory
 * (/etc/init.d by default) and drives it (`start`, `stop`, `status`). The script's pid file and
 * exit file are what a restarted agent re-adopts from.
 */
import { constants } from "node:os";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { AgentError } from "../errors.ts";
import type { Launch } from "../supervise/launch.ts";
import { renderInitScript, type InitdPaths } from "./initd-script.ts";
import { isSameLiveProcess, readProcStat, sleep, startTimeOf } from "./proc.ts";
import { hostProbe } from "./exec.ts";
import { describeRun, runCommand } from "./runner.ts";
import type { Backend, CommandRunner, Observation } from "./types.ts";

export interface InitdBackendOptions {
  /** Where scripts go; default /etc/init.d. */
  initDir?: string;
  /** Pid, exit and log files; default <stateDir>/initd. */
  stateDir: string;
  runner?: CommandRunner;
}

export function signalName(code: number): string | undefined {
  if (code <= 128) return undefined;
  const n = code - 128;
  return Object.entries(constants.signals).find(([, v]) => v === n)?.[0];
}

export class InitdBackend implements Backend {
  readonly name = "initd" as const;
  readonly selfRestarting = false;
  private readonly initDir: string;
  private readonly runDir: string;
  private readonly runner: CommandRunner;

  constructor(opts: InitdBackendOptions) {
    this.initDir = opts.initDir ?? "/etc/init.d";
    this.runDir = join(opts.stateDir, "initd");
    this.runner = opts.runner ?? runCommand;
  }

  scriptPath(l: Launch): string {
    return join(this.initDir, l.unitName);
  }
  paths(l: Launch): InitdPaths {
    return {
      pidFile: join(this.runDir, `${l.unitName}.pid`),
      exitFile: join(this.runDir, `${l.unitName}.exit`),
      logFile: join(this.runDir, `${l.unitName}.log`),
    };
  }

  async prepare(l: Launch): Promise<void> {
    await mkdir(this.initDir, { recursive: true });
    await mkdir(this.runDir, { recursive: true });
    const path = this.scriptPath(l);
    await writeFile(`${path}.tmp`, renderInitScript(l, this.paths(l)), { mode: 0o755 });
    await rename(`${path}.tmp`, path);
  }

  private async script(l: Launch, action: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const r = await this.runner(this.scriptPath(l), [action], { timeoutMs, ...(signal ? { signal } : {}) });
    if (r.code !== 0)
      throw new AgentError(
        "BackendFailed",
        `DeviceProcess ${l.key}`,
        `${describeRun(this.scriptPath(l), [action], r)}; see the log ${this.paths(l).logFile}`,
      );
  }

  async start(l: Launch, signal?: AbortSignal): Promise<Observation> {
    await this.script(l, "start", 30_000, signal);
    return this.observe(l);
  }

  async stop(l: Launch, signal?: AbortSignal): Promise<void> {
    try {
      await readFile(this.scriptPath(l));
    } catch {
      return; // never installed
    }
    await this.script(l, "stop", (l.stopTimeoutSec + 15) * 1000, signal);
  }

  async observe(l: Launch): Promise<Observation> {
    const p = this.paths(l);
    const pidText = await readFile(p.pidFile, "utf8").catch(() => undefined);
    const pid = pidText ? Number(pidText.trim()) : undefined;
    if (pid && (await isSameLiveProcess(pid))) {
      const info = await readProcStat(pid);
      return { state: "running", pid, ...(info ? { startTime: await startTimeOf(info.startTicks) } : {}) };
    }
    // The wrapper writes the exit file a moment after the process ends.
    let exitText: string | undefined;
    for (let i = 0; i < 10; i++) {
      exitText = await readFile(p.exitFile, "utf8").catch(() => undefined);
      if (exitText !== undefined || pid === undefined) break;
      await sleep(50);
    }
    if (exitText === undefined && pid === undefined) return { state: "missing" };
    const out: Observation = { state: "exited", ...(pid ? { pid } : {}) };
    if (exitText !== undefined) {
      const code = Number(exitText.trim());
      const sig = signalName(code);
      if (sig) out.signal = sig;
      else out.exitCode = code;
    }
    return out;
  }

  /** Clears the pid and exit files of an ended process (the controller consumed the exit). */
  async forget(l: Launch): Promise<void> {
    const p = this.paths(l);
    await rm(p.pidFile, { force: true });
    await rm(p.exitFile, { force: true });
  }

  async remove(l: Launch, signal?: AbortSignal): Promise<void> {
    await this.stop(l, signal);
    await this.forget(l);
    await rm(this.scriptPath(l), { force: true });
  }

  execProbe(l: Launch, command: string[], timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return hostProbe(this.runner, l, command, timeoutMs, signal);
  }
}
