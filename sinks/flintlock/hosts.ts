/** The Flintlock hosts of one backend: a client each, and per-host snapshots of their microVMs. */
import { FlintlockClient, FlintlockError, type MicroVM } from "../../clients/flintlock/index.ts";
import { SinkError } from "../../engine/index.ts";
import type { FlintlockBackendConfig, FlintlockHostConfig } from "./config.ts";

export interface HostVMs {
  readonly host: FlintlockHostConfig;
  readonly reachable: boolean;
  readonly error?: string;
  readonly vms: readonly MicroVM[];
}

export class FlintlockHosts {
  readonly clients = new Map<string, FlintlockClient>();

  constructor(readonly config: FlintlockBackendConfig) {
    for (const h of config.hosts)
      this.clients.set(
        h.name,
        new FlintlockClient(h.endpoint, { name: h.name, ...(config.timeoutMs ? { timeoutMs: config.timeoutMs } : {}) }),
      );
  }

  get hosts(): readonly FlintlockHostConfig[] {
    return this.config.hosts;
  }

  client(host: string): FlintlockClient | undefined {
    return this.clients.get(host);
  }

  /** One List per host and namespace, hosts in parallel; a host that fails is unreachable. */
  async snapshot(namespaces: readonly string[], signal: AbortSignal): Promise<HostVMs[]> {
    return Promise.all(
      this.config.hosts.map(async (host): Promise<HostVMs> => {
        const client = this.clients.get(host.name) as FlintlockClient;
        try {
          const lists = await Promise.all(namespaces.map((namespace) => client.list({ namespace }, signal)));
          return { host, reachable: true, vms: lists.flat() };
        } catch (e) {
          if (signal.aborted) throw signal.reason;
          return { host, reachable: false, error: (e as Error).message, vms: [] };
        }
      }),
    );
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
  }
}

/** How a Flintlock failure reads for the engine: unavailable → transient, the rest → permanent. */
export function sinkErrorOf(subject: string, e: unknown): SinkError {
  if (e instanceof SinkError) return e;
  if (e instanceof FlintlockError) {
    const kind = e.unavailable || e.garbage || e.grpcCode === 8 /* RESOURCE_EXHAUSTED */ ? "transient" : "permanent";
    return new SinkError(subject, kind, e.message, { cause: e });
  }
  return new SinkError(subject, "transient", (e as Error).message ?? String(e), { cause: e });
}
