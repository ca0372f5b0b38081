/**
 * Writes DeviceProcess status to the status subresource (JSON merge patch). Keeps only the latest
 * status per object; while the API server is unreachable it keeps retrying with back-off, so the
 * last known state is reported as soon as the server is back.
 */
import { errorMessage } from "../errors.ts";
import type { Logger } from "../log.ts";
import { dpKey, type DeviceProcessStatus } from "../model.ts";
import { sleep } from "../backends/proc.ts";
import { isStatus, type KubeClient } from "./client.ts";
import { collectionPath } from "./watch.ts";
import { Wakeup } from "../wakeup.ts";

interface Pending {
  namespace: string;
  name: string;
  status: DeviceProcessStatus;
  seq: number;
}

/** Merge patch body: fields the status no longer has are sent as null so the server drops them. */
export function statusPatch(status: DeviceProcessStatus): { status: Record<string, unknown> } {
  return { status: { pid: null, startTime: null, artifactVersion: null, message: null, ...status } };
}

export class StatusWriter {
  private readonly pending = new Map<string, Pending>();
  private seq = 0;
  private readonly wakeup = new Wakeup();
  private running: Promise<void> | undefined;
  private idle: (() => void)[] = [];

  constructor(
    private readonly client: KubeClient,
    private readonly log: Logger,
    private readonly backoff = { base: 500, max: 15_000 },
  ) {}

  set(namespace: string, name: string, status: DeviceProcessStatus): void {
    this.pending.set(dpKey({ namespace, name }), { namespace, name, status, seq: ++this.seq });
    this.wakeup.wake();
  }

  /** Forgets an object (deleted): no more writes for it. */
  drop(namespace: string, name: string): void {
    this.pending.delete(dpKey({ namespace, name }));
  }

  /** Resolves when nothing is pending (tests, shutdown). */
  flushed(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  start(signal: AbortSignal): Promise<void> {
    this.running ??= this.loop(signal);
    return this.running;
  }

  private async loop(signal: AbortSignal): Promise<void> {
    let delay = this.backoff.base;
    while (!signal.aborted) {
      if (this.pending.size === 0) {
        for (const r of this.idle.splice(0)) r();
        await this.wakeup.wait(signal);
        continue;
      }
      let failed = false;
      for (const [key, p] of [...this.pending]) {
        try {
          await this.client.json(
            "PATCH",
            `${collectionPath(p.namespace)}/${encodeURIComponent(p.name)}/status`,
            statusPatch(p.status),
            { contentType: "application/merge-patch+json", signal },
          );
          if (this.pending.get(key)?.seq === p.seq) this.pending.delete(key);
        } catch (err) {
          if (signal.aborted) return;
          if (isStatus(err, 404)) {
            this.pending.delete(key); // deleted meanwhile
            continue;
          }
          failed = true;
          const hint = isStatus(err, 403)
            ? `; the device's Role does not allow it: set agents.rbac: true in the fleet's bosun.yaml, or render the device's RBAC with this DeviceProcess (bosun-agent rbac --device … --namespace ${p.namespace} --deviceprocess ${p.name} …) and apply it`
            : "";
          this.log.warn(`status write failed; will retry${hint}`, {
            deviceProcess: key,
            error: errorMessage(err),
            retryInMs: delay,
          });
          break;
        }
      }
      if (failed) {
        await sleep(delay, signal).catch(() => undefined);
        delay = Math.min(this.backoff.max, delay * 2);
      } else {
        delay = this.backoff.base;
      }
    }
  }
}
