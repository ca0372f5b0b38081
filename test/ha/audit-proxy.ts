/**
 * A loopback proxy in front of the lab kube-apiserver, one per engine replica: it stands in for
 * the cluster's `kubernetes` Service (the replica's KUBERNETES_SERVICE_HOST/PORT point at it), and
 * it records every write that passes (method, path, body, answer) in one shared, ordered audit log:
 * the apiserver's audit log in small. `cut()` is a network partition of that replica: every open
 * connection is dropped and new ones are refused until `heal()`.
 *
 * It terminates TLS with the apiserver's own serving certificate (127.0.0.1, signed by the lab CA
 * the replica trusts) and forwards over TLS verified against the lab CA.
 */
import { readFile } from "node:fs/promises";
import { createServer, request, Agent, type Server } from "node:https";
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

export interface AuditEntry {
  /** Order of arrival at any proxy of the log. */
  readonly seq: number;
  /** performance.now() at arrival (benchmarks; tests order by seq). */
  readonly at: number;
  readonly replica: string;
  readonly method: string;
  readonly path: string;
  /** Parsed JSON request body (writes only), when it was JSON or YAML-less JSON. */
  readonly body: Record<string, unknown> | undefined;
  /** Order of the answer, and its status code (0 when the connection failed). */
  answerSeq: number;
  status: number;
}

export class AuditLog {
  private seq = 0;
  readonly entries: AuditEntry[] = [];
  next(): number {
    return ++this.seq;
  }
}

export class AuditProxy {
  private cutOff = false;
  private readonly sockets = new Set<Socket>();
  private readonly upstream = new Set<ReturnType<typeof request>>();
  private readonly agent: Agent;

  private constructor(
    private readonly server: Server,
    readonly replica: string,
    readonly port: number,
    agent: Agent,
  ) {
    this.agent = agent;
  }

  static async start(opts: {
    replica: string;
    /** `https://127.0.0.1:PORT` of the apiserver. */
    upstream: string;
    /** Lab work dir: ca.crt, apiserver.crt, apiserver.key. */
    labDir: string;
    log: AuditLog;
  }): Promise<AuditProxy> {
    const [ca, cert, key] = await Promise.all(
      ["ca.crt", "apiserver.crt", "apiserver.key"].map((f) => readFile(join(opts.labDir, f))),
    );
    const target = new URL(opts.upstream);
    const agent = new Agent({ keepAlive: true, ca });
    const holder: { proxy?: AuditProxy } = {};
    const server = createServer({ cert, key }, (req, res) => {
      const proxy = holder.proxy!;
      if (proxy.cutOff) {
        req.socket.destroy();
        return;
      }
      const write = req.method !== "GET";
      const chunks: Buffer[] = [];
      const entry: AuditEntry | undefined = write
        ? {
            seq: opts.log.next(),
            at: performance.now(),
            replica: opts.replica,
            method: req.method ?? "",
            path: (req.url ?? "").split("?")[0] ?? "",
            body: undefined,
            answerSeq: 0,
            status: 0,
          }
        : undefined;
      if (entry) opts.log.entries.push(entry);
      const up = request(
        {
          host: target.hostname,
          port: target.port,
          path: req.url,
          method: req.method,
          headers: { ...req.headers, host: target.host },
          agent,
        },
        (answer: IncomingMessage) => {
          if (entry) {
            entry.answerSeq = opts.log.next();
            entry.status = answer.statusCode ?? 0;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      proxy.upstream.add(up);
      up.on("close", () => proxy.upstream.delete(up));
      up.on("error", () => res.destroy());
      req.on("data", (c: Buffer) => {
        if (write) chunks.push(c);
      });
      req.on("end", () => {
        if (!entry) return;
        try {
          (entry as { body?: unknown }).body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        } catch {
          // not JSON (apply patches are JSON too; anything else is left out)
        }
      });
      req.pipe(up);
    });
    server.on("secureConnection", (socket: Socket) => {
      const proxy = holder.proxy!;
      if (proxy.cutOff) {
        socket.destroy();
        return;
      }
      proxy.sockets.add(socket);
      socket.on("close", () => proxy.sockets.delete(socket));
    });
    server.on("tlsClientError", () => undefined);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const proxy = new AuditProxy(server, opts.replica, (server.address() as AddressInfo).port, agent);
    holder.proxy = proxy;
    return proxy;
  }

  /** Partition: drop every connection (both sides) and refuse new ones. */
  cut(): void {
    this.cutOff = true;
    for (const s of this.sockets) s.destroy();
    for (const u of this.upstream) u.destroy();
  }

  heal(): void {
    this.cutOff = false;
  }

  async close(): Promise<void> {
    this.cut();
    this.agent.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A change of a shard's Lease holder, as the audit saw it answered. */
export interface Term {
  readonly shard: number;
  readonly holder: string;
  /** answerSeq of the acquiring write. */
  readonly from: number;
}

/** Successful writes of shard Leases (`<prefix>-shard-<n>`) that changed the holder: the terms, in order. */
export function termsOf(log: AuditLog, prefix: string): Term[] {
  const writes = log.entries
    .filter((e) => e.status >= 200 && e.status < 300 && /\/leases(\/|$)/.test(e.path))
    .map((e) => {
      const meta = (e.body?.["metadata"] ?? {}) as { name?: string };
      const spec = (e.body?.["spec"] ?? {}) as { holderIdentity?: string };
      const m = new RegExp(`^${prefix}-shard-(\\d+)$`).exec(meta.name ?? "");
      return m
        ? { shard: Number(m[1]), holder: spec.holderIdentity ?? "", from: e.answerSeq, replica: e.replica }
        : undefined;
    })
    .filter((t): t is Term & { replica: string } => t !== undefined)
    .sort((a, b) => a.from - b.from);
  const terms: Term[] = [];
  const current = new Map<number, string>();
  for (const w of writes) {
    if (current.get(w.shard) === w.holder) continue;
    current.set(w.shard, w.holder);
    terms.push({ shard: w.shard, holder: w.holder, from: w.from });
  }
  return terms;
}

/** The holder of `shard` when a request arrived (`seq`), from the terms. */
export function holderAt(terms: readonly Term[], shard: number, seq: number): string | undefined {
  let holder: string | undefined;
  for (const t of terms) if (t.shard === shard && t.from < seq) holder = t.holder;
  return holder;
}

export interface SplitBrain {
  readonly entry: AuditEntry;
  readonly shard: number;
  readonly holder: string | undefined;
}

/**
 * Every write of an engine object (not a Lease) that arrived while the writer was not the holder
 * of the object's shard. `replicaOf` maps a holder identity to the replica (proxy) name;
 * `shardOf` says which shard a write belongs to (undefined: not a shard's write, not checked).
 */
export function splitBrainWrites(
  log: AuditLog,
  prefix: string,
  replicaOf: (identity: string) => string | undefined,
  shardOf: (entry: AuditEntry) => number | undefined,
): SplitBrain[] {
  const terms = termsOf(log, prefix);
  const out: SplitBrain[] = [];
  for (const e of log.entries) {
    if (/\/leases(\/|$)/.test(e.path)) continue;
    const shard = shardOf(e);
    if (shard === undefined) continue;
    const holder = holderAt(terms, shard, e.seq);
    if (holder === undefined || replicaOf(holder) !== e.replica) out.push({ entry: e, shard, holder });
  }
  return out;
}
