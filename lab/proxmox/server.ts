/**
 * The lab Proxmox's HTTPS front, as pve-http-server + PVE::HTTPServer answer `/api2/json`:
 * API-token and ticket (+ CSRFPreventionToken) auth, 401s delayed (3 s upstream), routes and
 * parameters from the official schema (400 "Parameter verification failed." with `errors`),
 * `permissions.check` per token/user (403 "Permission check failed (/vms/100, VM.PowerMgmt)"),
 * 501 for unknown paths, the `{"data": …}` envelope, and errors as status line + `message`.
 * Tests inject HTTP failures and delays; requests are counted per `METHOD template`.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { ApiError, type LabCluster } from "./cluster.ts";
import { ApiSchema, evaluateCheck, verifyParameters, type Route } from "./spec.ts";
import { sleep, type LabTask } from "./tasks.ts";

/** A privilege set: everything (`admin`), read-only (`audit`), or a list such as `["VM.Audit", "VM.PowerMgmt"]`. */
export type Privileges = "admin" | "audit" | readonly string[];

export interface LabToken {
  /** `user@realm!tokenname`. */
  readonly tokenId: string;
  readonly secret: string;
  readonly privileges: Privileges;
}

export interface LabUser {
  /** `user@realm`. */
  readonly username: string;
  readonly password: string;
  readonly privileges: Privileges;
}

/** An HTTP fault: the next `times` requests matching `method` and `path` answer `status` `message`, after `delayMs`. */
export interface HttpFault {
  readonly method?: string;
  /** Matched against the path after `/api2/json` (a string matches as a substring). */
  readonly path: RegExp | string;
  readonly status?: number;
  readonly message?: string;
  /** Wait this long first (a hung server: the client's deadline fires). With no status, the request then proceeds. */
  readonly delayMs?: number;
  /** Serve the request, then hold the answer this long (the work is done but the caller may never hear of it). */
  readonly delayAnswerMs?: number;
  times?: number;
}

const AUDIT = new Set(["VM.Audit", "Sys.Audit", "Datastore.Audit", "Pool.Audit", "VM.GuestAgent.Audit"]);

/** Config keys and the privilege qemu-server's check_vm_modify_config_perm wants for them. */
function configPrivilege(key: string): string {
  if (/^(cores|sockets|vcpus|cpu|cpulimit|cpuunits|numa|affinity)$/.test(key)) return "VM.Config.CPU";
  if (/^(memory|balloon|shares)$/.test(key)) return "VM.Config.Memory";
  if (/^(ci\w+|ipconfig\d+|sshkeys|nameserver|searchdomain)$/.test(key)) return "VM.Config.Cloudinit";
  if (/^(scsi|ide|sata|virtio|efidisk|tpmstate|unused)\d*$/.test(key)) return "VM.Config.Disk";
  if (/^net\d+$/.test(key)) return "VM.Config.Network";
  return "VM.Config.Options";
}

interface Caller {
  readonly user: string;
  readonly token: boolean;
  readonly privileges: Privileges;
  readonly csrf?: string;
}

export interface LabProxmoxServerOptions {
  readonly cluster: LabCluster;
  readonly tokens: readonly LabToken[];
  readonly users: readonly LabUser[];
  readonly certFile: string;
  readonly keyFile: string;
  /** Delay of every 401 (upstream 3000 ms). */
  readonly authFailureDelayMs?: number;
  readonly port?: number;
}

export class LabProxmoxServer {
  readonly schema = new ApiSchema();
  readonly faults: HttpFault[] = [];
  /** Requests served, by `METHOD /path/template` (benchmarks). */
  readonly requests = new Map<string, number>();
  private readonly secret = randomBytes(32);
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(readonly o: LabProxmoxServerOptions) {}

  async listen(): Promise<number> {
    const server = createServer(
      { cert: readFileSync(this.o.certFile), key: readFileSync(this.o.keyFile) },
      (req, res) => void this.handle(req, res),
    );
    server.on("connection", (raw) => {
      const s = raw as Socket;
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.o.port ?? 0, "127.0.0.1", () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      for (const sock of this.sockets) sock.destroy();
    });
  }

  // ---- tickets ----

  private sign(text: string): string {
    return createHmac("sha256", this.secret).update(text).digest("base64");
  }

  ticketFor(user: string, at = Math.floor(Date.now() / 1000)): string {
    const plain = `PVE:${user}:${at.toString(16).toUpperCase()}`;
    return `${plain}::${this.sign(plain)}`;
  }

  private verifyTicket(ticket: string): string | undefined {
    const m = /^(PVE:([^:]+):([0-9A-F]{8}))::(.+)$/.exec(ticket);
    if (!m) return undefined;
    const expect = Buffer.from(this.sign(m[1] as string));
    const got = Buffer.from(m[4] as string);
    if (expect.length !== got.length || !timingSafeEqual(expect, got)) return undefined;
    const age = Date.now() / 1000 - parseInt(m[3] as string, 16);
    if (age > 7200 || age < -300) return undefined;
    return m[2];
  }

  private csrfFor(user: string, at = Math.floor(Date.now() / 1000)): string {
    const t = at.toString(16).toUpperCase();
    return `${t}:${this.sign(`${t}:${user}`).replace(/=+$/, "")}`;
  }

  private verifyCsrf(token: string | undefined, user: string): boolean {
    if (!token) return false;
    const [t] = token.split(":");
    return !!t && this.csrfFor(user, parseInt(t, 16)) === token;
  }

  // ---- requests ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", "https://lab");
    const path = url.pathname.replace(/^\/api2\/json/, "");
    const route = url.pathname.startsWith("/api2/json") ? this.schema.route(method, path) : undefined;
    const template = route && route !== "no-method" ? route.template : path;
    const key = `${method} ${template}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    try {
      const body = await readBody(req);
      const fault = this.takeFault(method, path);
      if (fault?.delayMs) await sleep(fault.delayMs);
      if (fault && (fault.status !== undefined || fault.message !== undefined))
        throw new ApiError(fault.status ?? 500, fault.message ?? "internal error");
      if (!route || route === "no-method") throw new ApiError(501, `Method '${method} ${path}' not implemented`);
      const data = await this.serve(req, method, path, route, url, body);
      if (fault?.delayAnswerMs) await sleep(fault.delayAnswerMs);
      send(res, 200, { data });
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(500, e instanceof Error ? e.message : String(e));
      if (err.status === 401) await sleep(this.o.authFailureDelayMs ?? 3000);
      send(
        res,
        err.status,
        { data: null, message: `${err.message}\n`, ...(err.errors ? { errors: err.errors } : {}) },
        err.message,
      );
    }
  }

  private takeFault(method: string, path: string): HttpFault | undefined {
    const i = this.faults.findIndex(
      (f) =>
        (!f.method || f.method === method) && (typeof f.path === "string" ? path.includes(f.path) : f.path.test(path)),
    );
    if (i < 0) return undefined;
    const f = this.faults[i] as HttpFault;
    f.times = (f.times ?? 1) - 1;
    if (f.times <= 0) this.faults.splice(i, 1);
    return f;
  }

  private authenticate(req: IncomingMessage): Caller {
    const auth = req.headers.authorization ?? "";
    const token = /(?:^|\s)PVEAPIToken(?:=| )([^;]*)/.exec(auth);
    if (token) {
      const value = decodeURIComponent((token[1] as string).trim());
      const eq = value.lastIndexOf("=");
      const tokenId = value.slice(0, eq);
      const secret = value.slice(eq + 1);
      const t = this.o.tokens.find((x) => x.tokenId === tokenId);
      if (!t || eq < 0 || !safeEqual(t.secret, secret)) throw new ApiError(401, "authentication failure");
      return { user: tokenId, token: true, privileges: t.privileges };
    }
    const cookie =
      /(?:^|;\s*)PVEAuthCookie=([^;]*)/.exec(req.headers.cookie ?? "")?.[1] ??
      /PVEAuthCookie=([^;\s]*)/.exec(auth)?.[1];
    if (!cookie) throw new ApiError(401, "No ticket");
    const user = this.verifyTicket(decodeURIComponent(cookie));
    const u = user ? this.o.users.find((x) => x.username === user) : undefined;
    if (!u) throw new ApiError(401, "authentication failure");
    const csrf = req.headers["csrfpreventiontoken"];
    return { user: u.username, token: false, privileges: u.privileges, ...(typeof csrf === "string" ? { csrf } : {}) };
  }

  private has(c: Caller, priv: string): boolean {
    if (c.privileges === "admin") return true;
    if (c.privileges === "audit") return AUDIT.has(priv);
    return c.privileges.includes(priv);
  }

  private async serve(
    req: IncomingMessage,
    method: string,
    path: string,
    route: Route,
    url: URL,
    body: string,
  ): Promise<unknown> {
    const info = route.info;
    let caller: Caller | undefined;
    if (info.permissions?.user !== "world") {
      caller = this.authenticate(req);
      if (caller.token && info.allowtoken === 0)
        throw new ApiError(403, `URI '${path}' not available with API token, need proper ticket.`);
      if (!caller.token && method !== "GET" && !this.verifyCsrf(caller.csrf, caller.user))
        throw new ApiError(401, "Permission denied - invalid csrf token");
    }
    const raw: Record<string, string> = {};
    for (const [k, v] of url.searchParams) raw[k] = v;
    if ((method === "POST" || method === "PUT") && body) {
      const type = req.headers["content-type"] ?? "";
      if (type.includes("application/json")) {
        for (const [k, v] of Object.entries(JSON.parse(body) as Record<string, unknown>))
          raw[k] = typeof v === "boolean" ? (v ? "1" : "0") : String(v);
      } else for (const [k, v] of new URLSearchParams(body)) raw[k] = v;
    }
    for (const [k, v] of Object.entries(route.pathParams)) {
      if (raw[k] !== undefined && raw[k] !== v)
        throw new ApiError(400, "Parameter verification failed.", { [k]: "duplicate parameter" });
      raw[k] = v;
    }
    const { params, errors } = verifyParameters(info, raw);
    if (Object.keys(errors).length > 0) throw new ApiError(400, "Parameter verification failed.", errors);
    if (caller) {
      const c = caller;
      const failed = evaluateCheck(info.permissions?.check, params, (_p, priv) => this.has(c, priv));
      if (failed) throw new ApiError(403, `Permission check failed (${failed.path}, ${failed.priv})`);
      if (route.template === "/nodes/{node}/qemu/{vmid}/config" && method !== "GET")
        for (const k of Object.keys(params)) {
          if (["node", "vmid", "digest", "skiplock", "background_delay", "delete", "revert"].includes(k)) continue;
          const priv = configPrivilege(k);
          if (!this.has(c, priv)) throw new ApiError(403, `Permission check failed (/vms/${params["vmid"]}, ${priv})`);
        }
    }
    return this.dispatch(method, route.template, params, caller);
  }

  private async dispatch(
    method: string,
    template: string,
    p: Record<string, string | number>,
    caller: Caller | undefined,
  ): Promise<unknown> {
    const c = this.o.cluster;
    const user = caller?.user ?? "";
    const node = String(p["node"] ?? "");
    const vmid = Number(p["vmid"]);
    const canAudit = (id: number): boolean => !!caller && (this.has(caller, "VM.Audit") || id < 0);
    switch (`${method} ${template}`) {
      case "GET /version":
        return { version: "9.1.3", release: "9.1", repoid: "e5010dce" };
      case "GET /access/ticket":
        return null;
      case "POST /access/ticket":
        return this.login(p);
      case "GET /nodes":
        return c.o.nodes.map((n) => ({
          node: n.name,
          status: "online",
          cpu: 0.05,
          maxcpu: n.cores,
          mem: c.usedMemoryMiB(n.name) * 1024 * 1024,
          maxmem: n.memoryMiB * 1024 * 1024,
          uptime: Math.floor(process.uptime()),
          level: "",
          id: `node/${n.name}`,
          type: "node",
        }));
      case "GET /cluster/nextid":
        return String(c.nextId(p["vmid"] === undefined ? undefined : Number(p["vmid"])));
      case "GET /cluster/resources":
        return (await c.resources(p["type"] as string | undefined)).filter(
          (r) => r.type !== "qemu" || canAudit(r.vmid as number),
        );
      case "GET /nodes/{node}/qemu":
        return (await c.list(node)).filter((v) => canAudit(v.vmid));
      case "POST /nodes/{node}/qemu/{vmid}/clone":
        return c.clone(node, vmid, p, user);
      case "GET /nodes/{node}/qemu/{vmid}/config": {
        const v = c.vm(node, vmid);
        return { ...v.config, ...(v.lock ? { lock: v.lock } : {}), digest: c.digest(v) };
      }
      case "PUT /nodes/{node}/qemu/{vmid}/config":
        c.updateConfig(node, vmid, p)();
        return null;
      case "POST /nodes/{node}/qemu/{vmid}/config": {
        const apply = c.updateConfig(node, vmid, p);
        return c.tasks.run(node, "qmconfig", String(vmid), user, async ({ log }) => {
          log(
            `update VM ${vmid}: ${Object.keys(p)
              .filter((k) => k !== "node" && k !== "vmid")
              .join(", ")}`,
          );
          apply();
        });
      }
      case "PUT /nodes/{node}/qemu/{vmid}/resize":
        return c.resize(node, vmid, p, user);
      case "GET /nodes/{node}/qemu/{vmid}/status/current":
        return c.status(c.vm(node, vmid));
      case "POST /nodes/{node}/qemu/{vmid}/status/start":
        return c.start(node, vmid, p, user);
      case "POST /nodes/{node}/qemu/{vmid}/status/shutdown":
        return c.shutdown(node, vmid, p, user);
      case "POST /nodes/{node}/qemu/{vmid}/status/stop":
        return c.stop(node, vmid, p, user);
      case "DELETE /nodes/{node}/qemu/{vmid}":
        return c.destroy(node, vmid, p, user);
      case "GET /nodes/{node}/tasks":
        return this.taskList(node, p, caller as Caller);
      case "GET /nodes/{node}/tasks/{upid}/status":
        return c.tasks.status(this.task(node, String(p["upid"]), caller as Caller, "Sys.Audit"));
      case "GET /nodes/{node}/tasks/{upid}/log": {
        const t = this.task(node, String(p["upid"]), caller as Caller, "Sys.Audit");
        const start = Number(p["start"] ?? 0);
        const limit = Number(p["limit"] ?? 50);
        return t.log.slice(start, start + limit).map((line, i) => ({ n: start + i + 1, t: line }));
      }
      case "DELETE /nodes/{node}/tasks/{upid}": {
        const t = this.task(node, String(p["upid"]), caller as Caller, "Sys.Modify");
        t.abort.abort();
        return null;
      }
      default:
        throw new ApiError(501, `Method '${method} ${template}' not implemented in the lab`);
    }
  }

  private task(node: string, upid: string, caller: Caller, priv: string): LabTask {
    this.o.cluster.node(node);
    const t = this.o.cluster.tasks.tasks.get(upid);
    if (!t || t.node !== node) throw new ApiError(500, `no such task '${upid}'`);
    if (t.user !== caller.user && !this.has(caller, priv))
      throw new ApiError(403, `Permission check failed (/nodes/${node}, ${priv})`);
    return t;
  }

  private taskList(node: string, p: Record<string, string | number>, caller: Caller): unknown[] {
    this.o.cluster.node(node);
    const source = String(p["source"] ?? "archive");
    const all = [...this.o.cluster.tasks.tasks.values()]
      .filter((t) => t.node === node)
      .filter((t) => t.user === caller.user || this.has(caller, "Sys.Audit"))
      .filter((t) =>
        source === "active" ? t.status === "running" : source === "archive" ? t.status === "stopped" : true,
      )
      .filter((t) => p["vmid"] === undefined || t.id === String(p["vmid"]))
      .filter((t) => p["typefilter"] === undefined || t.type === p["typefilter"])
      .filter((t) => p["userfilter"] === undefined || t.user.includes(String(p["userfilter"])))
      .filter((t) => p["since"] === undefined || t.starttime >= Number(p["since"]))
      .sort((a, b) => b.starttime - a.starttime || b.pid - a.pid);
    const start = Number(p["start"] ?? 0);
    return all
      .slice(start, start + Number(p["limit"] ?? 50))
      .map((t) => ({
        upid: t.upid,
        node: t.node,
        pid: t.pid,
        pstart: t.pstart,
        starttime: t.starttime,
        type: t.type,
        id: t.id,
        user: t.user,
        ...(t.endtime !== undefined ? { endtime: t.endtime, status: t.exitstatus } : {}),
      }));
  }

  private login(p: Record<string, string | number>): unknown {
    let username = String(p["username"] ?? "");
    if (p["realm"] !== undefined && !username.includes("@")) username = `${username}@${p["realm"]}`;
    const u = this.o.users.find((x) => x.username === username);
    const password = String(p["password"] ?? "");
    const ok = !!u && (safeEqual(u.password, password) || this.verifyTicket(password) === username);
    if (!u || !ok) throw new ApiError(401, "authentication failure");
    return {
      username,
      ticket: this.ticketFor(username),
      CSRFPreventionToken: this.csrfFor(username),
      clustername: "lab",
    };
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks).toString("utf8");
}

function send(res: ServerResponse, status: number, body: unknown, reason?: string): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  if (reason) res.statusMessage = reason.split("\n")[0]?.replace(/[^\t\x20-\x7e]/g, "?") ?? "";
  res.setHeader("content-type", "application/json;charset=UTF-8");
  res.setHeader("content-length", Buffer.byteLength(text));
  res.setHeader("cache-control", "max-age=0");
  res.end(text);
}
