import { setTimeout as sleep } from "node:timers/promises";
import { Agent, type Dispatcher } from "undici";
import { FlightctlError } from "./errors.ts";
import { backoffMs, RequestBudget } from "./rate-limit.ts";
import {
  FLIGHTCTL_API_VERSION,
  type Device,
  type DeviceStatus,
  type Fleet,
  type LabelSelector,
  type List,
  type Status,
} from "./types.ts";

export interface FlightctlClientOptions {
  /** The API server, e.g. `https://flightctl.example.com` (the client adds `/api/v1`). */
  readonly url: string;
  /** Bearer token (never logged). */
  readonly token?: string;
  /** PEM CA bundle the server certificate must chain to (default: the system's). */
  readonly ca?: string;
  /** Skip TLS verification: for labs only, never the default. */
  readonly insecureSkipVerify?: boolean;
  /** Organization (`org_id` query parameter) for users of several organizations. */
  readonly orgId?: string;
  /** Sustained requests per second (default 20) and burst (default 40). */
  readonly qps?: number;
  readonly burst?: number;
  /** Retries of a 429/5xx/no answer (default 5), first backoff (default 200 ms), cap (default 10 s). */
  readonly retries?: number;
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  /** Per-request deadline (default 30 s). */
  readonly timeoutMs?: number;
  /** Page size of lists (default 500, the spec allows 1..1000). */
  readonly pageSize?: number;
}

export interface ListOptions {
  /** Label selector (an object, or the query syntax `a=b,c in (x,y)`). */
  readonly labelSelector?: LabelSelector | string;
  readonly fieldSelector?: string;
  readonly signal: AbortSignal;
}

/** Counts of what the client sent, for benchmarks and metrics. */
export interface RequestCounts {
  requests: number;
  retries: number;
}

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** Query syntax of a label selector (`k=v,k in (a,b),!k`); an empty selector gives "". */
export function selectorQuery(selector: LabelSelector | string | undefined): string {
  if (selector === undefined) return "";
  if (typeof selector === "string") return selector;
  const parts = Object.entries(selector.matchLabels ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`);
  for (const e of selector.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort().join(",");
    if (e.operator === "In") parts.push(`${e.key} in (${values})`);
    else if (e.operator === "NotIn") parts.push(`${e.key} notin (${values})`);
    else if (e.operator === "Exists") parts.push(e.key);
    else parts.push(`!${e.key}`);
  }
  return parts.join(",");
}

/**
 * The Flightctl management API (`/api/v1`) for fleets and devices: typed, paged lists (`continue`),
 * `resourceVersion` on update (a 409 is a `FlightctlError` with `conflict`), bearer token, TLS
 * verified (CA option), a request budget, and backoff with jitter on 429/5xx and lost connections
 * (`Retry-After` honoured). Every call takes an AbortSignal.
 */
export class FlightctlClient {
  readonly counts: RequestCounts = { requests: 0, retries: 0 };
  private readonly base: string;
  private readonly dispatcher: Dispatcher;
  private readonly budget: RequestBudget;
  private readonly options: FlightctlClientOptions;

  constructor(options: FlightctlClientOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch (e) {
      throw new FlightctlError(
        `Flightctl server ${options.url}`,
        0,
        "InvalidURL",
        "not a URL; give https://host[:port]",
        { cause: e },
      );
    }
    this.base = `${url.origin}${url.pathname.replace(/\/$/, "")}/api/v1`;
    this.options = options;
    this.dispatcher = new Agent({
      connect: { ...(options.ca ? { ca: options.ca } : {}), rejectUnauthorized: options.insecureSkipVerify !== true },
      keepAliveTimeout: 4000,
      connections: 32,
    });
    this.budget = new RequestBudget(options.qps ?? 20, options.burst ?? 40);
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  // ---- fleets

  /** A fleet with `status.devicesSummary` (how many devices it has, by status). */
  getFleet(name: string, signal: AbortSignal): Promise<Fleet> {
    return this.call<Fleet>("GET", `fleets/${enc(name)}`, { query: { addDevicesSummary: "true" }, signal });
  }

  listFleets(options: ListOptions): Promise<Fleet[]> {
    return this.listAll<Fleet>("fleets", options);
  }

  createFleet(fleet: Fleet, signal: AbortSignal): Promise<Fleet> {
    return this.call<Fleet>("POST", "fleets", { body: fleet, signal });
  }

  /** Replaces a fleet; with `metadata.resourceVersion` set, a concurrent change is a 409. */
  replaceFleet(fleet: Fleet, signal: AbortSignal): Promise<Fleet> {
    return this.call<Fleet>("PUT", `fleets/${enc(fleet.metadata.name ?? "")}`, { body: fleet, signal });
  }

  deleteFleet(name: string, signal: AbortSignal): Promise<Status> {
    return this.call<Status>("DELETE", `fleets/${enc(name)}`, { signal });
  }

  // ---- devices

  getDevice(name: string, signal: AbortSignal): Promise<Device> {
    return this.call<Device>("GET", `devices/${enc(name)}`, { signal });
  }

  listDevices(options: ListOptions): Promise<Device[]> {
    return this.listAll<Device>("devices", options);
  }

  createDevice(device: Device, signal: AbortSignal): Promise<Device> {
    return this.call<Device>("POST", "devices", { body: device, signal });
  }

  /** Replaces a device (its spec: applications); `metadata.resourceVersion` makes it conditional. */
  replaceDevice(device: Device, signal: AbortSignal): Promise<Device> {
    return this.call<Device>("PUT", `devices/${enc(device.metadata.name ?? "")}`, { body: device, signal });
  }

  deleteDevice(name: string, signal: AbortSignal): Promise<Status> {
    return this.call<Status>("DELETE", `devices/${enc(name)}`, { signal });
  }

  async getDeviceStatus(name: string, signal: AbortSignal): Promise<DeviceStatus | undefined> {
    return (await this.call<Device>("GET", `devices/${enc(name)}/status`, { signal })).status;
  }

  /** Replaces a device's status (what its agent does). */
  replaceDeviceStatus(device: Device, signal: AbortSignal): Promise<Device> {
    return this.call<Device>("PUT", `devices/${enc(device.metadata.name ?? "")}/status`, { body: device, signal });
  }

  // ---- plumbing

  private async listAll<T>(plural: string, options: ListOptions): Promise<T[]> {
    const items: T[] = [];
    let next: string | undefined;
    const selector = selectorQuery(options.labelSelector);
    do {
      const query: Record<string, string> = { limit: String(this.options.pageSize ?? 500) };
      if (selector) query["labelSelector"] = selector;
      if (options.fieldSelector) query["fieldSelector"] = options.fieldSelector;
      if (next) query["continue"] = next;
      const page = await this.call<List<T>>("GET", plural, { query, signal: options.signal });
      items.push(...page.items);
      next = page.metadata.continue || undefined;
    } while (next);
    return items;
  }

  private async call<T>(
    method: Method,
    path: string,
    opts: { body?: unknown; query?: Record<string, string>; signal: AbortSignal },
  ): Promise<T> {
    const subject = `Flightctl ${method} ${path}`;
    const query = new URLSearchParams(opts.query);
    if (this.options.orgId) query.set("org_id", this.options.orgId);
    const qs = query.toString();
    const url = `${this.base}/${path}${qs ? `?${qs}` : ""}`;
    const headers: Record<string, string> = {
      accept: "application/json",
      "flightctl-api-version": "v1beta1",
      "user-agent": "bosun",
    };
    if (this.options.token) headers["authorization"] = `Bearer ${this.options.token}`;
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    if (body !== undefined) headers["content-type"] = "application/json";
    const idempotent = method !== "POST" && method !== "PATCH";
    const retries = this.options.retries ?? 5;
    for (let attempt = 0; ; attempt++) {
      await this.budget.take(opts.signal);
      this.counts.requests++;
      let error: FlightctlError;
      let retryAfterMs: number | undefined;
      try {
        // A signal of our own for undici, tied to the caller's and to the deadline.
        const own = new AbortController();
        const onAbort = (): void => own.abort(opts.signal.reason);
        opts.signal.addEventListener("abort", onAbort, { once: true });
        const deadline = setTimeout(() => own.abort(new Error("deadline exceeded")), this.options.timeoutMs ?? 30_000);
        let statusCode: number;
        let text: string;
        let retryAfter: string | undefined;
        try {
          // undici's request API (not fetch): no Request/AbortSignal machinery of its own to trip over.
          const target = new URL(url);
          const res = await this.dispatcher.request({
            origin: target.origin,
            path: `${target.pathname}${target.search}`,
            method,
            headers,
            signal: own.signal,
            ...(body !== undefined ? { body } : {}),
          });
          statusCode = res.statusCode;
          const ra = res.headers["retry-after"];
          retryAfter = Array.isArray(ra) ? ra[0] : ra;
          text = await res.body.text();
        } finally {
          clearTimeout(deadline);
          opts.signal.removeEventListener("abort", onAbort);
        }
        if (statusCode >= 200 && statusCode < 300) return (text ? JSON.parse(text) : {}) as T;
        const status = parseStatus(text);
        error = new FlightctlError(
          subject,
          statusCode,
          status?.reason || STATUS_TEXT[statusCode] || "Error",
          status?.message || text.slice(0, 200) || "no message",
          status ? { status } : {},
        );
        const ra = Number(retryAfter);
        if (Number.isFinite(ra) && ra > 0) retryAfterMs = ra * 1000;
      } catch (e) {
        if (opts.signal.aborted) throw opts.signal.reason;
        if (e instanceof SyntaxError)
          throw new FlightctlError(subject, 200, "BadResponse", "the answer is not JSON", { cause: e });
        error = new FlightctlError(subject, 0, "ConnectionFailed", describeCause(e), { cause: e });
      }
      // A POST/PATCH that may have landed is not repeated blindly; 429 and 503 never did anything.
      const safe = idempotent || error.statusCode === 429 || error.statusCode === 503;
      if (!error.retriable || !safe || attempt >= retries) throw error;
      this.counts.retries++;
      const wait = Math.max(
        retryAfterMs ?? 0,
        backoffMs(attempt, this.options.backoffBaseMs ?? 200, this.options.backoffMaxMs ?? 10_000),
      );
      await sleep(wait, undefined, { signal: opts.signal });
    }
  }
}

function enc(name: string): string {
  return encodeURIComponent(name);
}

function parseStatus(text: string): Status | undefined {
  try {
    const v = JSON.parse(text) as Partial<Status>;
    return v && v.kind === "Status" ? (v as Status) : undefined;
  } catch {
    return undefined;
  }
}

function describeCause(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ""}`;
  return e instanceof Error ? e.message : String(e);
}

export { FLIGHTCTL_API_VERSION };
