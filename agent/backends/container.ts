/**
 * The `container` backend: podman, docker or nerdctl CLI. A file/http artifact is a rootfs tar,
 * imported as a local image tagged by its checksum; an oci artifact is pulled by digest. The
 * container is named after the DeviceProcess, so a restarted agent finds (and re-adopts) it.
 * On hosts like this lab podman needs global `--runtime runc` and run flags
 * `--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network=none` (options below).
 */
import { appendFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { AgentError } from "../errors.ts";
import type { Launch } from "../supervise/launch.ts";
import { describeRun, runCommand } from "./runner.ts";
import type { Backend, CommandRunner, Observation } from "./types.ts";
import { isoTime } from "../iso-time.ts";

export interface ContainerBackendOptions {
  cli?: string;
  /** Flags before the subcommand (podman: ["--runtime", "runc"]). */
  globalArgs?: string[];
  /** Extra `run` flags (e.g. ulimits, --network=none). */
  runArgs?: string[];
  runner?: CommandRunner;
  /** Where the output of removed containers is kept (<logDir>/<unitName>.log); default: not kept. */
  logDir?: string;
  /** dockerconfigjson file for pulls from private registries. */
  authFile?: (l: Launch) => Promise<string | undefined>;
}

export function containerName(l: Launch): string {
  return l.unitName.toLowerCase().replace(/[^a-z0-9_.-]/g, "_");
}

/** The local image of an imported rootfs tar: localhost/bosun/<name>:<sha256 first 16>. */
export function importedImage(l: Launch): string {
  return `localhost/bosun/${containerName(l).replace(/_/g, "-")}:${l.artifactSha256.slice(0, 16)}`;
}

export function runArgs(l: Launch, image: string, extra: string[]): string[] {
  const args = [
    "run",
    "-d",
    "--name",
    containerName(l),
    "--label",
    `bosun.dev/key=${l.key}`,
    "--label",
    `bosun.dev/artifact-sha256=${l.artifactSha256}`,
    "--stop-timeout",
    String(l.stopTimeoutSec),
  ];
  if (l.memoryMaxBytes !== undefined) args.push("--memory", String(l.memoryMaxBytes));
  if (l.cpuQuotaPercent !== undefined) args.push("--cpus", String(l.cpuQuotaPercent / 100));
  for (const [k, v] of Object.entries(l.env).sort(([a], [b]) => a.localeCompare(b))) {
    if (k !== "BOSUN_ARTIFACT") args.push("-e", `${k}=${v}`);
  }
  if (l.workingDir) args.push("-w", l.workingDir);
  if (l.user) args.push("--user", l.user);
  args.push(...extra, image, ...l.argv);
  return args;
}

export class ContainerBackend implements Backend {
  readonly name = "container" as const;
  readonly selfRestarting = false;
  private readonly cli: string;
  private readonly globalArgs: string[];
  private readonly extraRun: string[];
  private readonly runner: CommandRunner;
  private readonly authFile: ((l: Launch) => Promise<string | undefined>) | undefined;
  private readonly logDir: string | undefined;

  constructor(opts: ContainerBackendOptions = {}) {
    this.cli = opts.cli ?? "podman";
    this.globalArgs = opts.globalArgs ?? [];
    this.extraRun = opts.runArgs ?? [];
    this.runner = opts.runner ?? runCommand;
    this.authFile = opts.authFile;
    this.logDir = opts.logDir;
  }

  private async run(
    l: Launch,
    args: string[],
    signal?: AbortSignal,
    timeoutMs = 120_000,
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const full = [...this.globalArgs, ...args];
    const r = await this.runner(this.cli, full, { timeoutMs, ...(signal ? { signal } : {}) });
    return { ...r, stderr: r.stderr || describeRun(this.cli, full, r) };
  }

  private async must(l: Launch, args: string[], signal?: AbortSignal, timeoutMs?: number): Promise<string> {
    const r = await this.run(l, args, signal, timeoutMs);
    if (r.code !== 0)
      throw new AgentError(
        "BackendFailed",
        `DeviceProcess ${l.key}`,
        describeRun(this.cli, [...this.globalArgs, ...args], { ...r, signal: null }),
      );
    return r.stdout;
  }

  image(l: Launch): string {
    return l.image ?? importedImage(l);
  }

  async prepare(l: Launch, signal?: AbortSignal): Promise<void> {
    const image = this.image(l);
    if ((await this.run(l, ["image", "exists", image], signal)).code === 0) return;
    if (l.image) {
      const auth = await this.authFile?.(l);
      await this.must(l, ["pull", ...(auth ? ["--authfile", auth] : []), image], signal, 600_000);
    } else {
      await this.must(l, ["import", l.artifactPath, image], signal, 600_000);
    }
  }

  async start(l: Launch, signal?: AbortSignal): Promise<Observation> {
    const now = await this.observe(l, signal);
    if (now.state === "running") return now;
    if (now.state === "exited") await this.must(l, ["rm", "-f", containerName(l)], signal);
    await this.must(l, runArgs(l, this.image(l), this.extraRun), signal);
    return this.observe(l, signal);
  }

  async stop(l: Launch, signal?: AbortSignal): Promise<void> {
    const now = await this.observe(l, signal);
    if (now.state === "missing") return;
    if (now.state === "running")
      await this.must(
        l,
        ["stop", "-t", String(l.stopTimeoutSec), containerName(l)],
        signal,
        (l.stopTimeoutSec + 30) * 1000,
      );
  }

  async observe(l: Launch, signal?: AbortSignal): Promise<Observation> {
    const fmt =
      '{{.State.Status}}|{{.State.Pid}}|{{.State.ExitCode}}|{{.State.StartedAt.Format "2006-01-02T15:04:05.000Z07:00"}}';
    const r = await this.run(l, ["inspect", "--type", "container", "--format", fmt, containerName(l)], signal);
    if (r.code !== 0) {
      if (/no such|not found|no container/i.test(r.stderr)) return { state: "missing" };
      throw new AgentError("BackendFailed", `DeviceProcess ${l.key}`, r.stderr.trim());
    }
    const [status, pid, exitCode, startedAt] = r.stdout.trim().split("|");
    if (status === "running") {
      const started = startedAt ? new Date(startedAt) : undefined;
      return {
        state: "running",
        pid: Number(pid),
        ...(started && !Number.isNaN(started.getTime()) ? { startTime: isoTime(started.getTime()) } : {}),
      };
    }
    return { state: "exited", exitCode: Number(exitCode) };
  }

  async forget(l: Launch, signal?: AbortSignal): Promise<void> {
    if (this.logDir) {
      const logs = await this.run(l, ["logs", containerName(l)], signal);
      if (logs.code === 0) {
        await mkdir(this.logDir, { recursive: true });
        await appendFile(join(this.logDir, `${l.unitName}.log`), logs.stdout + logs.stderr);
      }
    }
    await this.run(l, ["rm", "-f", containerName(l)], signal);
  }

  async remove(l: Launch, signal?: AbortSignal): Promise<void> {
    await this.stop(l, signal);
    await this.forget(l, signal);
    if (!l.image) await this.run(l, ["rmi", importedImage(l)], signal);
  }

  /** Drops the image of a version that is no longer running. */
  async retire(old: Launch, current: Launch, signal?: AbortSignal): Promise<void> {
    if (!old.image && this.image(old) !== this.image(current)) await this.run(old, ["rmi", importedImage(old)], signal);
  }

  async execProbe(l: Launch, command: string[], timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    try {
      const r = await this.run(l, ["exec", containerName(l), ...command], signal, timeoutMs);
      return r.code === 0;
    } catch {
      return false;
    }
  }
}
