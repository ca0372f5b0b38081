/**
 * The `systemd` backend: writes the unit (systemd-unit.ts) and drives systemctl: daemon-reload,
 * enable, start, stop, show. systemd restarts crashed processes itself (Restart=); the agent reads
 * NRestarts and only restarts on health-check failure.
 */
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { AgentError } from "../errors.ts";
import type { Launch } from "../supervise/launch.ts";
import { hostProbe } from "./exec.ts";
import { describeRun, runCommand } from "./runner.ts";
import { renderSystemdUnit } from "./systemd-unit.ts";
import type { Backend, CommandRunner, Observation } from "./types.ts";
import { isoTime } from "../iso-time.ts";

export interface SystemdBackendOptions {
  /** Where units go; default /etc/systemd/system. */
  unitDir?: string;
  runner?: CommandRunner;
  systemctl?: string;
}

export function parseShow(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

export class SystemdBackend implements Backend {
  readonly name = "systemd" as const;
  readonly selfRestarting = true;
  private readonly unitDir: string;
  private readonly runner: CommandRunner;
  private readonly systemctl: string;

  constructor(opts: SystemdBackendOptions = {}) {
    this.unitDir = opts.unitDir ?? "/etc/systemd/system";
    this.runner = opts.runner ?? runCommand;
    this.systemctl = opts.systemctl ?? "systemctl";
  }

  unitFile(l: Launch): string {
    return join(this.unitDir, `${l.unitName}.service`);
  }

  private async ctl(l: Launch, args: string[], signal?: AbortSignal): Promise<string> {
    const r = await this.runner(this.systemctl, args, {
      timeoutMs: (l.stopTimeoutSec + 30) * 1000,
      ...(signal ? { signal } : {}),
    });
    if (r.code !== 0)
      throw new AgentError(
        "BackendFailed",
        `DeviceProcess ${l.key}`,
        `${describeRun(this.systemctl, args, r)}; check \`journalctl -u ${l.unitName}\``,
      );
    return r.stdout;
  }

  async prepare(l: Launch, signal?: AbortSignal): Promise<void> {
    await mkdir(this.unitDir, { recursive: true });
    const path = this.unitFile(l);
    await writeFile(`${path}.tmp`, renderSystemdUnit(l), { mode: 0o644 });
    await rename(`${path}.tmp`, path);
    await this.ctl(l, ["daemon-reload"], signal);
  }

  async start(l: Launch, signal?: AbortSignal): Promise<Observation> {
    await this.ctl(l, ["enable", `${l.unitName}.service`], signal);
    await this.ctl(l, ["start", `${l.unitName}.service`], signal);
    return this.observe(l, signal);
  }

  async stop(l: Launch, signal?: AbortSignal): Promise<void> {
    await this.ctl(l, ["stop", `${l.unitName}.service`], signal);
  }

  async isActive(l: Launch, signal?: AbortSignal): Promise<boolean> {
    const r = await this.runner(this.systemctl, ["is-active", `${l.unitName}.service`], signal ? { signal } : {});
    return r.code === 0 && r.stdout.trim() === "active";
  }

  async observe(l: Launch, signal?: AbortSignal): Promise<Observation> {
    const show = parseShow(
      await this.ctl(
        l,
        [
          "show",
          `${l.unitName}.service`,
          "-p",
          "LoadState,ActiveState,SubState,MainPID,NRestarts,ExecMainStatus,ExecMainCode,ExecMainStartTimestamp",
        ],
        signal,
      ),
    );
    const restarts = Number(show["NRestarts"] ?? 0);
    if (show["LoadState"] === "not-found") return { state: "missing" };
    const active = show["ActiveState"];
    const pid = Number(show["MainPID"] ?? 0);
    if ((active === "active" || active === "activating" || active === "reloading") && pid > 0) {
      const ts = show["ExecMainStartTimestamp"];
      const started = ts ? new Date(ts.replace(/^\w+ /, "").replace(/ (\w+)$/, "")) : undefined;
      return {
        state: "running",
        pid,
        restarts,
        ...(started && !Number.isNaN(started.getTime()) ? { startTime: isoTime(started.getTime()) } : {}),
      };
    }
    if (active === "inactive" && (show["ExecMainCode"] ?? "0") === "0") return { state: "missing", restarts };
    const status = Number(show["ExecMainStatus"] ?? 0);
    // ExecMainCode: 1 exited, 2 killed, 3 dumped (CLD_* codes); ExecMainStatus is the code or signal number.
    const killed = show["ExecMainCode"] === "2" || show["ExecMainCode"] === "3";
    return { state: "exited", restarts, ...(killed ? { signal: `signal ${status}` } : { exitCode: status }) };
  }

  async remove(l: Launch, signal?: AbortSignal): Promise<void> {
    await this.stop(l, signal);
    await this.ctl(l, ["disable", `${l.unitName}.service`], signal);
    await rm(this.unitFile(l), { force: true });
    await this.ctl(l, ["daemon-reload"], signal);
  }

  execProbe(l: Launch, command: string[], timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return hostProbe(this.runner, l, command, timeoutMs, signal);
  }
}
