/**
 * A thin typed Proxmox VE client (API subset of ../shared/specs/proxmox) over fetch.
 *
 * Auth: an API token (`Authorization: PVEAPIToken=USER@REALM!TOKENID=SECRET`, no CSRF) or a
 * ticket (`POST /access/ticket` → cookie `PVEAuthCookie` + header `CSRFPreventionToken` on writes;
 * renewed after 90 minutes of its 2 h life, and once more on a 401).
 *
 * Retries (with doubling backoff): reads on any 5xx or no answer; writes only when nothing
 * happened — a transient 5xx (lock/cluster-filesystem timeout, proxy error: the handler died before
 * forking its task) — or, for task-starting writes with no answer, after looking for the task the
 * request may have started (`GET /nodes/{node}/tasks?vmid=&typefilter=`, our user, since the send):
 * found → its UPID, else sent again. A clone is first checked by its new VMID's config (absent → it
 * did not start; present → its task, which is listed under the source VMID).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { ProxmoxError, ProxmoxTaskError, ProxmoxTaskTimeoutError } from "./errors.ts";
import { cloneParams, configParams, parsePropertyString, type Params } from "./params.ts";
import { Transport, type Method, type TransportOptions } from "./transport.ts";
import type {
  ClusterResource,
  CloneOptions,
  DeleteOptions,
  NodeSummary,
  ShutdownOptions,
  TaskListEntry,
  TaskLogLine,
  TaskStatus,
  Upid,
  VersionInfo,
  VmConfig,
  VmConfigUpdate,
  VmListEntry,
  VmStatus,
} from "./types.ts";
import { parseUpid, taskSucceeded } from "./upid.ts";

/** API token (recommended) or user + password (ticket auth). Values, resolved by the caller from env/files. */
export type ProxmoxAuth =
  { readonly tokenId: string; readonly secret: string } | { readonly username: string; readonly password: string };

export interface ProxmoxClientOptions extends TransportOptions {
  readonly auth: ProxmoxAuth;
  /** Attempts for retryable calls (default 3). */
  readonly attempts?: number;
  /** First backoff (default 200 ms), doubled each retry. */
  readonly backoffMs?: number;
  /** Task status poll interval (default 1000 ms, as the web UI). */
  readonly taskPollMs?: number;
}

export interface WaitOptions {
  /** Give up waiting after this long (default 5 minutes); the task itself keeps running. */
  readonly timeoutMs?: number;
  readonly pollMs?: number;
  readonly signal?: AbortSignal;
}

interface Ticket {
  readonly ticket: string;
  readonly csrf: string;
  readonly at: number;
}

const TICKET_RENEW_MS = 90 * 60_000;

/** How to find the task a write with no answer may have started; `started` tells whether it did (clone). */
interface TaskLookup {
  readonly node: string;
  readonly vmid: number;
  readonly type: string;
  readonly started?: () => Promise<false | { ctime: number }>;
}
const enc = encodeURIComponent;

export class ProxmoxClient {
  private readonly transport: Transport;
  private readonly auth: ProxmoxAuth;
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly taskPollMs: number;
  private ticket: Ticket | undefined;
  private login: Promise<Ticket> | undefined;
  /** Requests sent, by `METHOD path-pattern` (VMIDs, nodes and UPIDs replaced), for benchmarks. */
  readonly requests = new Map<string, number>();

  constructor(options: ProxmoxClientOptions) {
    this.transport = new Transport(options);
    this.auth = options.auth;
    this.attempts = Math.max(1, options.attempts ?? 3);
    this.backoffMs = options.backoffMs ?? 200;
    this.taskPollMs = options.taskPollMs ?? 1000;
  }

  /** The server's name in errors (the URL's host unless named). */
  get name(): string {
    return this.transport.name;
  }

  /** The user tasks are recorded under: `user@realm!tokenid` for a token, `user@realm` for a ticket. */
  get user(): string {
    return "tokenId" in this.auth ? this.auth.tokenId : this.auth.username;
  }

  // ---- cluster and nodes ----

  version(signal?: AbortSignal): Promise<VersionInfo> {
    return this.read("/version", {}, signal);
  }

  nodes(signal?: AbortSignal): Promise<NodeSummary[]> {
    return this.read("/nodes", {}, signal);
  }

  /** `GET /cluster/resources[?type=vm|node|storage]`. */
  resources(type?: "vm" | "node" | "storage", signal?: AbortSignal): Promise<ClusterResource[]> {
    return this.read("/cluster/resources", type ? { type } : {}, signal);
  }

  /**
   * A free VMID (`GET /cluster/nextid`). Free now, not reserved: a clone may still find it taken.
   * With `wanted`: that VMID if free, else a 400 with `errors.vmid` "VM <id> already exists".
   */
  async nextId(signal?: AbortSignal, wanted?: number): Promise<number> {
    return Number(await this.read<string | number>("/cluster/nextid", wanted ? { vmid: wanted } : {}, signal));
  }

  // ---- VMs ----

  listVms(node: string, signal?: AbortSignal): Promise<VmListEntry[]> {
    return this.read(`/nodes/${enc(node)}/qemu`, {}, signal);
  }

  /** `POST …/{vmid}/clone` → the `qmclone` task. The new VM holds `lock: clone` until it ends. */
  clone(node: string, vmid: number, options: CloneOptions, signal?: AbortSignal): Promise<Upid> {
    // The task is recorded under the source VMID; the new VM's config shows whether it started, and
    // its `meta: …,ctime=<s>` (server time, written when the clone began) which task is its own.
    return this.startTask("POST", `/nodes/${enc(node)}/qemu/${vmid}/clone`, cloneParams(options), signal, {
      node,
      vmid,
      type: "qmclone",
      started: () =>
        this.config(options.target ?? node, options.newid, {}, signal).then(
          (c) => ({ ctime: Number(parsePropertyString(String(c["meta"] ?? ""))["ctime"] ?? NaN) }),
          (e: unknown) => (e instanceof ProxmoxError && e.notFound ? false : Promise.reject(e)),
        ),
    });
  }

  /** The config with pending changes applied (`current: true`: as running). */
  config(node: string, vmid: number, options: { current?: boolean } = {}, signal?: AbortSignal): Promise<VmConfig> {
    return this.read(`/nodes/${enc(node)}/qemu/${vmid}/config`, options.current ? { current: 1 } : {}, signal);
  }

  /** `POST …/config` (async): the `qmconfig` task, or null when the server finished at once. */
  async updateConfig(node: string, vmid: number, update: VmConfigUpdate, signal?: AbortSignal): Promise<Upid | null> {
    const path = `/nodes/${enc(node)}/qemu/${vmid}/config`;
    return this.write<Upid | null>("POST", path, configParams(update), signal);
  }

  /** `PUT …/config` (sync). A stale `digest` fails with 500 "detected modified configuration …". */
  async setConfig(node: string, vmid: number, update: VmConfigUpdate, signal?: AbortSignal): Promise<void> {
    await this.write<null>("PUT", `/nodes/${enc(node)}/qemu/${vmid}/config`, configParams(update), signal);
  }

  /** `PUT …/resize` with `size` "+10G" or absolute "32G" → the `resize` task. */
  resizeDisk(node: string, vmid: number, disk: string, size: string, signal?: AbortSignal): Promise<Upid> {
    return this.startTask("PUT", `/nodes/${enc(node)}/qemu/${vmid}/resize`, { disk, size }, signal);
  }

  /** Power state and metrics (cpu, mem, maxmem). */
  status(node: string, vmid: number, signal?: AbortSignal): Promise<VmStatus> {
    return this.read(`/nodes/${enc(node)}/qemu/${vmid}/status/current`, {}, signal);
  }

  /** `qmstart`. The task fails with "VM <id> already running" when it is. */
  start(node: string, vmid: number, signal?: AbortSignal): Promise<Upid> {
    return this.power(node, vmid, "start", {}, signal);
  }

  /** ACPI shutdown (`qmshutdown`); without forceStop a guest that does not stop in time fails the task. */
  shutdown(node: string, vmid: number, options: ShutdownOptions = {}, signal?: AbortSignal): Promise<Upid> {
    const p: Params = {};
    if (options.timeout !== undefined) p["timeout"] = options.timeout;
    if (options.forceStop !== undefined) p["forceStop"] = options.forceStop ? 1 : 0;
    return this.power(node, vmid, "shutdown", p, signal);
  }

  /** Hard stop (`qmstop`). */
  stop(node: string, vmid: number, signal?: AbortSignal): Promise<Upid> {
    return this.power(node, vmid, "stop", {}, signal);
  }

  /** `qmdestroy`. Fails with "VM <id> is running - destroy failed": stop first. */
  destroy(node: string, vmid: number, options: DeleteOptions = {}, signal?: AbortSignal): Promise<Upid> {
    const p: Params = {};
    if (options.purge !== undefined) p["purge"] = options.purge ? 1 : 0;
    if (options.destroyUnreferencedDisks !== undefined)
      p["destroy-unreferenced-disks"] = options.destroyUnreferencedDisks ? 1 : 0;
    return this.startTask("DELETE", `/nodes/${enc(node)}/qemu/${vmid}`, p, signal, { node, vmid, type: "qmdestroy" });
  }

  // ---- tasks ----

  /** Status of a task, read from the node in its UPID. */
  taskStatus(upid: Upid, signal?: AbortSignal): Promise<TaskStatus> {
    return this.read(`/nodes/${enc(this.upidNode(upid))}/tasks/${enc(upid)}/status`, {}, signal);
  }

  taskLog(upid: Upid, options: { start?: number; limit?: number } = {}, signal?: AbortSignal): Promise<TaskLogLine[]> {
    const p: Params = { start: options.start ?? 0, limit: options.limit ?? 50 };
    return this.read(`/nodes/${enc(this.upidNode(upid))}/tasks/${enc(upid)}/log`, p, signal);
  }

  /** `GET /nodes/{node}/tasks` (recent tasks; `source: "all"` includes running ones). */
  tasks(
    node: string,
    filter: { vmid?: number; typefilter?: string; source?: "active" | "archive" | "all"; limit?: number } = {},
    signal?: AbortSignal,
  ): Promise<TaskListEntry[]> {
    const p: Params = {};
    for (const [k, v] of Object.entries(filter)) if (v !== undefined) p[k] = v;
    return this.read(`/nodes/${enc(node)}/tasks`, p, signal);
  }

  /** Aborts a running task (`DELETE /nodes/{node}/tasks/{upid}`). */
  async abortTask(upid: Upid, signal?: AbortSignal): Promise<void> {
    await this.write("DELETE", `/nodes/${enc(this.upidNode(upid))}/tasks/${enc(upid)}`, {}, signal);
  }

  /**
   * Polls until the task stops. Resolves with its status when it succeeded (`OK`/`WARNINGS: n`);
   * throws ProxmoxTaskError (exit status + last log lines) when it failed, ProxmoxTaskTimeoutError
   * when it still runs after `timeoutMs`.
   */
  async waitForTask(upid: Upid | null, options: WaitOptions = {}): Promise<TaskStatus | undefined> {
    if (upid === null) return undefined;
    const timeoutMs = options.timeoutMs ?? 300_000;
    const started = Date.now();
    for (;;) {
      const s = await this.taskStatus(upid, options.signal);
      if (s.status === "stopped") {
        if (taskSucceeded(s.exitstatus)) return s;
        const log = await this.taskLog(upid, { start: 0, limit: 500 }, options.signal).catch(() => []);
        throw new ProxmoxTaskError(
          this.name,
          upid,
          s.type,
          s.exitstatus ?? "unexpected status",
          log.slice(-5).map((l) => l.t),
        );
      }
      const waited = Date.now() - started;
      if (waited >= timeoutMs) throw new ProxmoxTaskTimeoutError(this.name, upid, s.type, waited);
      await sleep(Math.min(options.pollMs ?? this.taskPollMs, timeoutMs - waited), undefined, {
        ...(options.signal ? { signal: options.signal } : {}),
      });
    }
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  // ---- plumbing ----

  private power(node: string, vmid: number, action: string, p: Params, signal?: AbortSignal): Promise<Upid> {
    return this.startTask("POST", `/nodes/${enc(node)}/qemu/${vmid}/status/${action}`, p, signal, {
      node,
      vmid,
      type: `qm${action}`,
    });
  }

  private upidNode(upid: Upid): string {
    const u = parseUpid(upid);
    if (!u)
      throw new ProxmoxError(this.name, "GET", "/nodes/{node}/tasks", 400, `not a UPID: ${upid.slice(0, 80)}`, {
        code: "PROXMOX_INVALID",
      });
    return u.node;
  }

  private read<T>(path: string, params: Params, signal?: AbortSignal): Promise<T> {
    return this.retrying(
      signal,
      (e) => e.status === 0 || e.status >= 500,
      () => this.once<T>("GET", path, params, signal),
    );
  }

  private write<T>(method: Method, path: string, params: Params, signal?: AbortSignal): Promise<T> {
    return this.retrying(
      signal,
      (e) => e.status !== 0 && e.transient,
      () => this.once<T>(method, path, params, signal),
    );
  }

  /** A write that starts a task; with `find`, an unanswered request is looked up in the node's task list first. */
  private async startTask(
    method: Method,
    path: string,
    params: Params,
    signal: AbortSignal | undefined,
    find?: TaskLookup,
  ): Promise<Upid> {
    const sentAt = Math.floor(Date.now() / 1000);
    let lastNoAnswer: ProxmoxError | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.write<Upid>(method, path, params, signal);
      } catch (e) {
        if (!(e instanceof ProxmoxError) || e.status !== 0 || !find) throw e;
        lastNoAnswer = e;
      }
      // Did it start? A clone shows in its new VM (checked first: a sibling clone's task is not ours).
      const started = find.started ? await find.started().catch(() => ({ ctime: NaN })) : undefined;
      if (started !== false) {
        const found = await this.findTask(find, sentAt, started?.ctime, signal).catch(() => undefined);
        if (found) return found;
        // It started but its task cannot be told apart: repeating it would fail or duplicate; report.
        if (started) throw lastNoAnswer;
      }
      if (attempt >= this.attempts) throw lastNoAnswer;
      await sleep(this.backoffMs * 2 ** (attempt - 1), undefined, signal ? { signal } : {});
    }
  }

  /**
   * Our task of this type and VMID since `sinceSec` (60 s of clock skew allowed): the newest; for a
   * clone, the one that began when the new VM's ctime says, and only if no other of ours did.
   */
  private async findTask(
    f: TaskLookup,
    sinceSec: number,
    ctime: number | undefined,
    signal?: AbortSignal,
  ): Promise<Upid | undefined> {
    const list = await this.tasks(f.node, { vmid: f.vmid, typefilter: f.type, source: "all", limit: 50 }, signal);
    const mine = list
      .filter((t) => t.type === f.type && t.user === this.user && t.starttime >= sinceSec - 60)
      .sort((a, b) => b.starttime - a.starttime);
    if (!f.started) return mine[0]?.upid;
    if (ctime === undefined || Number.isNaN(ctime)) return undefined;
    // The handler writes ctime, then forks the task: the same second, or the next.
    const same = mine.filter((t) => t.starttime - ctime >= 0 && t.starttime - ctime <= 1);
    return same.length === 1 ? same[0]?.upid : undefined;
  }

  private async retrying<T>(
    signal: AbortSignal | undefined,
    retryable: (e: ProxmoxError) => boolean,
    fn: () => Promise<T>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (!(e instanceof ProxmoxError) || !retryable(e) || attempt >= this.attempts || e.notFound) throw e;
      }
      await sleep(this.backoffMs * 2 ** (attempt - 1), undefined, signal ? { signal } : {});
    }
  }

  private async once<T>(method: Method, path: string, params: Params, signal?: AbortSignal): Promise<T> {
    const key = `${method} ${patternOf(path)}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    if ("tokenId" in this.auth) {
      const headers = { authorization: `PVEAPIToken=${this.auth.tokenId}=${this.auth.secret}` };
      return (await this.transport.request<T>(method, path, params, headers, signal)).data;
    }
    for (let relogin = 0; ; relogin++) {
      const t = await this.currentTicket(signal);
      const headers: Record<string, string> = { cookie: `PVEAuthCookie=${t.ticket}` };
      if (method !== "GET") headers["csrfpreventiontoken"] = t.csrf;
      try {
        return (await this.transport.request<T>(method, path, params, headers, signal)).data;
      } catch (e) {
        if (!(e instanceof ProxmoxError) || e.status !== 401 || relogin > 0) throw e;
        if (this.ticket === t) this.ticket = undefined;
      }
    }
  }

  private async currentTicket(signal?: AbortSignal): Promise<Ticket> {
    if (this.ticket && Date.now() - this.ticket.at < TICKET_RENEW_MS) return this.ticket;
    if (!this.login) {
      this.login = this.newTicket(signal).finally(() => (this.login = undefined));
    }
    return this.login;
  }

  private async newTicket(signal?: AbortSignal): Promise<Ticket> {
    if ("tokenId" in this.auth) throw new Error("token auth has no ticket");
    const params = { username: this.auth.username, password: this.auth.password };
    this.requests.set("POST /access/ticket", (this.requests.get("POST /access/ticket") ?? 0) + 1);
    const res = await this.transport.request<{ ticket: string; CSRFPreventionToken: string }>(
      "POST",
      "/access/ticket",
      params,
      {},
      signal,
    );
    if (!res.data?.ticket || !res.data.CSRFPreventionToken)
      throw new ProxmoxError(this.name, "POST", "/access/ticket", 200, "no ticket in the answer (TFA required?)", {
        code: "PROXMOX_UNAUTHORIZED",
      });
    this.ticket = { ticket: res.data.ticket, csrf: res.data.CSRFPreventionToken, at: Date.now() };
    return this.ticket;
  }
}

/** `/nodes/pve1/qemu/101/config` → `/nodes/{node}/qemu/{vmid}/config` (request counting). */
export function patternOf(path: string): string {
  return path
    .replace(/^\/nodes\/[^/]+/, "/nodes/{node}")
    .replace(/\/qemu\/\d+/, "/qemu/{vmid}")
    .replace(/\/tasks\/UPID[^/]*/, "/tasks/{upid}");
}
