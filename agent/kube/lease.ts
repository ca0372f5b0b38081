/**
 * Heartbeat Lease per device (coordination.k8s.io/v1, name `bosun-device-<device>`): renewTime is
 * updated every interval, so the engine can tell an unreachable device (stale lease) from a failed
 * process (fresh lease, Failed status).
 */
import { errorMessage } from "../errors.ts";
import type { Logger } from "../log.ts";
import { sleep } from "../backends/proc.ts";
import { isStatus, type KubeClient } from "./client.ts";
import { isoTime } from "../iso-time.ts";

export const leaseName = (device: string): string => `bosun-device-${device}`;

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return isoTime(ms).replace(/\.(\d{3})Z$/, ".$1000Z");
}

interface Lease {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: Record<string, unknown>;
}

export class Heartbeat {
  constructor(
    private readonly client: KubeClient,
    private readonly device: string,
    private readonly namespace: string,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  get path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.namespace)}/leases`;
  }

  async renew(signal?: AbortSignal): Promise<void> {
    const name = leaseName(this.device);
    const spec = {
      holderIdentity: this.device,
      leaseDurationSeconds: Math.max(1, Math.ceil((this.intervalMs * 4) / 1000)),
      renewTime: microTime(Date.now()),
    };
    const opts = signal ? { signal } : {};
    let lease: Lease;
    try {
      lease = await this.client.json<Lease>("GET", `${this.path}/${name}`, undefined, opts);
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
      await this.client.json(
        "POST",
        this.path,
        {
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: { name, namespace: this.namespace, labels: { "bosun.dev/device": this.device } },
          spec: { ...spec, acquireTime: spec.renewTime },
        },
        opts,
      );
      return;
    }
    await this.client.json("PUT", `${this.path}/${name}`, { ...lease, spec: { ...lease.spec, ...spec } }, opts);
  }

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.renew(signal);
      } catch (err) {
        if (signal.aborted) return;
        this.log.warn("heartbeat lease renewal failed", {
          lease: `${this.namespace}/${leaseName(this.device)}`,
          error: errorMessage(err),
        });
      }
      await sleep(this.intervalMs, signal).catch(() => undefined);
    }
  }
}
