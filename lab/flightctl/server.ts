/**
 * The lab Flightctl server: `/api/v1` fleets and devices over loopback HTTPS, as the spec says
 * (`../shared/specs/flightctl`): bearer token, request bodies validated against the spec's schemas,
 * image references checked, resourceVersion conflicts (409), label/field selectors with `limit` and
 * `continue`, the `Status` error body. Fault injection: answer the next matching requests with
 * 409/429/500, or slowly; `restart()` drops the listener and every connection and comes back on the
 * same port with the same state.
 */
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { FLIGHTCTL_API_VERSION, type Device, type Fleet, type Status } from "../../clients/flightctl/index.ts";
import { matches, parseSelectorQuery, SelectorSyntaxError, type Requirement } from "./selector.ts";
import { flightctlSpec } from "./spec.ts";
import type { FlightctlStore } from "./store.ts";
import { StoreError } from "./store.ts";

export interface Fault {
  /** Which requests: method and a path pattern (relative to /api/v1). */
  readonly method?: string;
  readonly path?: RegExp;
  /** The answer: an HTTP code (409, 429, 500, 503), or only a delay before the real answer. */
  readonly status?: number;
  readonly delayMs?: number;
  /** How many requests it hits (default 1). */
  times?: number;
}

export interface FlightctlServerOptions {
  readonly store: FlightctlStore;
  readonly tls: { readonly cert: string; readonly key: string };
  /** Required bearer token (absent: no auth). */
  readonly token?: string;
  readonly port?: number;
  /** Simulation tick (default 50 ms). */
  readonly tickMs?: number;
}

const HTTP_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** An OCI image reference: [registry[:port]/]path[:tag][@digest]. */
const IMAGE_REF =
  /^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

export class FlightctlServer {
  readonly store: FlightctlStore;
  /** Requests served, by `METHOD /path-kind` (e.g. `PUT fleets`). */
  readonly requests = new Map<string, number>();
  private faults: Fault[] = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private timer: NodeJS.Timeout | undefined;
  private portNumber = 0;

  constructor(private readonly options: FlightctlServerOptions) {
    this.store = options.store;
  }

  get port(): number {
    return this.portNumber;
  }

  get url(): string {
    return `https://127.0.0.1:${this.portNumber}`;
  }

  async start(): Promise<void> {
    const [cert, key] = await Promise.all([readFile(this.options.tls.cert), readFile(this.options.tls.key)]);
    const server = createServer({ cert, key }, (req, res) => void this.handle(req, res));
    server.on("connection", (s: Socket) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.portNumber || this.options.port || 0, "127.0.0.1", () => resolve());
    });
    this.portNumber = (server.address() as { port: number }).port;
    this.server = server;
    this.timer ??= setInterval(() => this.store.tick(), this.options.tickMs ?? 50);
  }

  /** Stops serving (and simulating) until `start()`; state is kept. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The restart fault: down for `downMs`, then back on the same port with the same state. */
  async restart(downMs = 500): Promise<void> {
    await this.stop();
    await sleep(downMs);
    await this.start();
  }

  inject(fault: Fault): void {
    this.faults.push({ ...fault, times: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.faults = [];
  }

  count(key: string): number {
    return this.requests.get(key) ?? 0;
  }

  totalRequests(): number {
    return [...this.requests.values()].reduce((a, b) => a + b, 0);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "https://lab");
    const path = url.pathname.replace(/^\/api\/v1\//, "");
    const method = req.method ?? "GET";
    const key = `${method} ${path
      .split("/")
      .filter((_, i) => i % 2 === 0)
      .join("/")}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    try {
      if (this.options.token && req.headers.authorization !== `Bearer ${this.options.token}`)
        return this.fail(res, 401, "missing or wrong bearer token");
      const fault = this.faults.find((f) => (!f.method || f.method === method) && (!f.path || f.path.test(path)));
      if (fault) {
        fault.times = (fault.times ?? 1) - 1;
        if (fault.times <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
        if (fault.delayMs) await sleep(fault.delayMs);
        if (fault.status) {
          if (fault.status === 429) res.setHeader("retry-after", "1");
          return this.fail(res, fault.status, `injected fault ${fault.status}`);
        }
      }
      const body = method === "PUT" || method === "POST" ? await readJson(req) : undefined;
      res.setHeader("flightctl-api-version", "v1beta1");
      res.setHeader("vary", "Flightctl-API-Version");
      await this.route(method, path.split("/"), url.searchParams, body, res);
    } catch (e) {
      if (e instanceof StoreError) return this.fail(res, e.code, e.message);
      if (e instanceof SelectorSyntaxError || e instanceof SyntaxError) return this.fail(res, 400, e.message);
      return this.fail(res, 500, e instanceof Error ? e.message : String(e));
    }
  }

  private route(method: string, parts: string[], query: URLSearchParams, body: unknown, res: ServerResponse): void {
    const [plural, name, sub, ...rest] = parts;
    const s = this.store;
    if (plural === "version" && method === "GET") return this.send(res, 200, { version: "v1.3.0-bosun-lab" });
    if ((plural !== "fleets" && plural !== "devices") || rest.length > 0)
      return this.fail(res, 404, `no route ${parts.join("/")}`);
    const kind = plural === "fleets" ? "Fleet" : "Device";
    if (name === undefined || name === "") {
      if (method === "GET") {
        // Devices are filtered on their records first: 10,000 device views per list would be the lab's cost.
        const items: (Fleet | Device)[] = plural === "fleets" ? s.listFleets() : s.listDevices(prefilter(query));
        return this.send(res, 200, page(kind, items, query));
      }
      if (method === "POST") {
        const obj = this.validBody(kind, body);
        return this.send(res, 201, plural === "fleets" ? s.createFleet(obj as Fleet) : s.createDevice(obj as Device));
      }
      return this.fail(res, 405, `${method} not allowed on ${plural}`);
    }
    if (sub === "status") {
      if (method === "GET") return this.send(res, 200, plural === "fleets" ? s.getFleet(name) : s.getDevice(name));
      return this.fail(res, 405, `${method} of ${plural}/${name}/status is the agent's; not simulated`);
    }
    if (sub !== undefined) return this.fail(res, 404, `no route ${parts.join("/")}`);
    switch (method) {
      case "GET":
        return this.send(res, 200, plural === "fleets" ? s.getFleet(name) : s.getDevice(name));
      case "PUT": {
        const obj = this.validBody(kind, body) as Fleet | Device;
        if (obj.metadata.name !== name)
          return this.fail(
            res,
            400,
            `metadata.name "${String(obj.metadata.name)}" does not match the path name "${name}"`,
          );
        const out = plural === "fleets" ? s.replaceFleet(name, obj as Fleet) : s.replaceDevice(name, obj as Device);
        return this.send(res, out.created ? 201 : 200, "fleet" in out ? out.fleet : out.device);
      }
      case "DELETE":
        if (plural === "fleets") s.deleteFleet(name);
        else s.deleteDevice(name);
        return this.send(res, 200, status(200, "Success", `${kind} "${name}" deleted`));
      default:
        return this.fail(res, 405, `${method} not allowed on ${plural}/${name}`);
    }
  }

  /** The body against the spec's schema, and the image references (what the real server refuses). */
  private validBody(kind: "Fleet" | "Device", body: unknown): unknown {
    const problems = flightctlSpec().validate(kind, body);
    if (problems.length > 0) throw new StoreError(400, `invalid ${kind}: ${problems.slice(0, 5).join("; ")}`);
    const spec = kind === "Fleet" ? (body as Fleet).spec.template.spec : (body as Device).spec;
    const prefix = kind === "Fleet" ? "spec.template.spec" : "spec";
    (spec?.applications ?? []).forEach((app, i) => {
      const image = (app as { image?: unknown }).image;
      if (typeof image === "string" && !IMAGE_REF.test(image))
        throw new StoreError(400, `${prefix}.applications[${i}].image: invalid image reference "${image}"`);
    });
    const names = (spec?.applications ?? []).map((a) => a.name);
    const dup = names.find((n, i) => n !== undefined && names.indexOf(n) !== i);
    if (dup) throw new StoreError(400, `${prefix}.applications: duplicate application name "${dup}"`);
    return body;
  }

  private send(res: ServerResponse, code: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(code, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.end(text);
  }

  private fail(res: ServerResponse, code: number, message: string): void {
    this.send(res, code, status(code, "Failure", message));
  }
}

function status(code: number, s: "Success" | "Failure", message: string): Status {
  return {
    apiVersion: FLIGHTCTL_API_VERSION,
    kind: "Status",
    status: s,
    code,
    reason: HTTP_TEXT[code] ?? "OK",
    message,
  };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return JSON.parse(text) as unknown;
}

/** The list's selectors as a predicate on device records (the same test `page` applies to the views). */
function prefilter(
  query: URLSearchParams,
): (d: { name: string; labels: Record<string, string>; owner?: string | undefined }) => boolean {
  const label = query.get("labelSelector") ?? "";
  const field = query.get("fieldSelector") ?? "";
  const reqs: Requirement[] = label ? parseSelectorQuery(label) : [];
  const fields = field ? parseSelectorQuery(field) : [];
  return (d) =>
    matches(reqs, d.labels) &&
    matches(fields, { "metadata.name": d.name, ...(d.owner ? { "metadata.owner": d.owner } : {}) });
}

/** One page of a list: selectors, `limit` (1..1000), `continue` (an offset bound to the selectors). */
function page<T extends { metadata: { name?: string; labels?: Record<string, string>; owner?: string } }>(
  kind: string,
  all: T[],
  query: URLSearchParams,
): { apiVersion: string; kind: string; metadata: { continue?: string; remainingItemCount?: number }; items: T[] } {
  const label = query.get("labelSelector") ?? "";
  const field = query.get("fieldSelector") ?? "";
  const reqs: Requirement[] = label ? parseSelectorQuery(label) : [];
  const fields = field ? parseSelectorQuery(field) : [];
  const items = all.filter(
    (o) =>
      matches(reqs, o.metadata.labels ?? {}) &&
      matches(fields, {
        "metadata.name": o.metadata.name ?? "",
        ...(o.metadata.owner ? { "metadata.owner": o.metadata.owner } : {}),
      }),
  );
  const limitText = query.get("limit");
  const limit = limitText ? Number(limitText) : 1000;
  if (!Number.isInteger(limit) || limit < 0 || limit > 1000)
    throw new StoreError(400, `limit must be 0..1000, not ${limitText}`);
  let offset = 0;
  const token = query.get("continue");
  const bound = `${label}|${field}`;
  if (token) {
    const decoded = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { o: number; s: string };
    if (decoded.s !== bound) throw new StoreError(400, "continue token was issued for other selectors");
    offset = decoded.o;
  }
  const size = limit === 0 ? 1000 : limit;
  const slice = items.slice(offset, offset + size);
  const rest = items.length - offset - slice.length;
  return {
    apiVersion: FLIGHTCTL_API_VERSION,
    kind: `${kind}List`,
    metadata:
      rest > 0
        ? {
            continue: Buffer.from(JSON.stringify({ o: offset + size, s: bound })).toString("base64url"),
            remainingItemCount: rest,
          }
        : {},
    items: slice,
  };
}
