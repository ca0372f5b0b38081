/** The port every execution backend implements, and the command-runner port they drive tools through. */
import type { BackendName } from "../model.ts";
import type { Launch } from "../supervise/launch.ts";

export interface Observation {
  state: "running" | "exited" | "missing";
  pid?: number;
  /** ISO time the current process started. */
  startTime?: string;
  exitCode?: number;
  signal?: string;
  /** Restarts the backend did by itself (systemd Restart=). */
  restarts?: number;
}

export interface Backend {
  readonly name: BackendName;
  /** The backend restarts crashed processes itself (systemd); the agent only restarts on health failure. */
  readonly selfRestarting: boolean;
  /** Writes unit/script/image for `l`. Safe while an older version is still running. */
  prepare(l: Launch, signal?: AbortSignal): Promise<void>;
  start(l: Launch, signal?: AbortSignal): Promise<Observation>;
  /** Graceful stop: SIGTERM, l.stopTimeoutSec, SIGKILL. Idempotent. */
  stop(l: Launch, signal?: AbortSignal): Promise<void>;
  /** What runs now under l.unitName; used for monitoring and to re-adopt after an agent restart. */
  observe(l: Launch, signal?: AbortSignal): Promise<Observation>;
  /** Clears the record of an ended process once the agent has consumed its exit. */
  forget?(l: Launch, signal?: AbortSignal): Promise<void>;
  /** Drops what only an old version used (e.g. its image) after `current` runs. */
  retire?(old: Launch, current: Launch, signal?: AbortSignal): Promise<void>;
  /** Removes unit/script/container/image left for l. */
  remove(l: Launch, signal?: AbortSignal): Promise<void>;
  /** Runs a health-check command in the process's context (host, or inside the container). */
  execProbe(l: Launch, command: string[], timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
}

export interface RunResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}
export interface RunOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  env?: Record<string, string>;
  cwd?: string;
}
export type CommandRunner = (cmd: string, args: string[], options?: RunOptions) => Promise<RunResult>;
