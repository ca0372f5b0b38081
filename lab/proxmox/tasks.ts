/**
 * The lab's task workers: every mutating call forks a "worker" with a UPID in PVE's format, runs
 * asynchronously, logs lines and ends with `TASK OK` or `TASK ERROR: <msg>` (exitstatus `OK` or the
 * message), as pve-common's RESTEnvironment fork_worker does. Tests inject failures and slowness.
 */
import { formatUpid, type TaskStatus, type Upid } from "../../clients/proxmox/index.ts";

export interface LabTask {
  readonly upid: Upid;
  readonly node: string;
  readonly pid: number;
  readonly pstart: number;
  readonly starttime: number;
  readonly type: string;
  readonly id: string;
  readonly user: string;
  status: "running" | "stopped";
  exitstatus?: string;
  endtime?: number;
  readonly log: string[];
  readonly abort: AbortController;
  /** Settles when the task stops (never rejects). */
  done: Promise<void>;
}

/** A task failure to inject: the next `times` tasks of `type` (and `vmid`) fail with `message`. */
export interface TaskFault {
  readonly type: string;
  readonly vmid?: number;
  readonly message: string;
  times?: number;
}

/** Extra run time for the next `times` tasks of `type` (a slow clone: a caller's wait times out). */
export interface TaskDelay {
  readonly type: string;
  readonly vmid?: number;
  readonly ms: number;
  times?: number;
}

export type TaskBody = (t: { log(line: string): void; signal: AbortSignal }) => Promise<void>;

export class TaskError extends Error {}

export class TaskRunner {
  readonly tasks = new Map<Upid, LabTask>();
  readonly faults: TaskFault[] = [];
  readonly delays: TaskDelay[] = [];
  private pid = 0x1000 + Math.floor(Math.random() * 0x10000);
  private readonly pstart = Math.floor(Math.random() * 0x1000000);
  private lastStart = 0;

  constructor(
    /** Base run time of a task (ms), e.g. the duration of a clone. */
    private readonly durationMs: (type: string) => number,
  ) {}

  /** Forks a task and returns its UPID at once. `body` throws TaskError(message) to fail it. */
  run(node: string, type: string, id: string, user: string, body: TaskBody, onEnd?: (t: LabTask) => void): Upid {
    // Distinct start times keep UPIDs unique and ordered, as PIDs and seconds are on a real node.
    const starttime = Math.max(Math.floor(Date.now() / 1000), this.lastStart);
    this.lastStart = starttime;
    const pid = ++this.pid;
    const upid = formatUpid({ node, pid, pstart: this.pstart, starttime, type, id, user });
    const task: LabTask = {
      upid,
      node,
      pid,
      pstart: this.pstart,
      starttime,
      type,
      id,
      user,
      status: "running",
      log: [],
      abort: new AbortController(),
      done: Promise.resolve(),
    };
    this.tasks.set(upid, task);
    const vmid = Number(id);
    const fault = take(this.faults, type, vmid);
    const delay = take(this.delays, type, vmid);
    task.done = (async () => {
      try {
        await sleep(this.durationMs(type) + (delay?.ms ?? 0), task.abort.signal);
        if (fault) throw new TaskError(fault.message);
        await body({ log: (l) => task.log.push(l), signal: task.abort.signal });
        task.exitstatus = "OK";
        task.log.push("TASK OK");
      } catch (e) {
        const msg = task.abort.signal.aborted
          ? "received interrupt"
          : e instanceof Error
            ? e.message.trim()
            : String(e);
        task.exitstatus = msg;
        task.log.push(`TASK ERROR: ${msg}`);
      } finally {
        task.status = "stopped";
        task.endtime = Math.floor(Date.now() / 1000);
        try {
          onEnd?.(task);
        } catch {
          /* the end hook only cleans up */
        }
      }
    })();
    return upid;
  }

  status(t: LabTask): TaskStatus {
    return {
      upid: t.upid,
      node: t.node,
      pid: t.pid,
      pstart: t.pstart,
      starttime: t.starttime,
      type: t.type,
      id: t.id,
      user: t.user,
      status: t.status,
      ...(t.exitstatus !== undefined ? { exitstatus: t.exitstatus } : {}),
    };
  }

  /** Waits for every running task (shutdown). */
  async settle(): Promise<void> {
    await Promise.all([...this.tasks.values()].map((t) => t.done));
  }
}

function take<T extends { type: string; vmid?: number; times?: number }>(
  list: T[],
  type: string,
  vmid: number,
): T | undefined {
  const i = list.findIndex((f) => f.type === type && (f.vmid === undefined || f.vmid === vmid));
  if (i < 0) return undefined;
  const f = list[i] as T;
  f.times = (f.times ?? 1) - 1;
  if (f.times <= 0) list.splice(i, 1);
  return f;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
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
}
