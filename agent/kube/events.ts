/**
 * Kubernetes Events (core/v1) for DeviceProcess transitions, source component `device-agent`.
 * Best effort: a bounded queue survives short partitions; the oldest events are dropped first.
 */
import { randomBytes } from "node:crypto";
import { errorMessage } from "../errors.ts";
import type { Logger } from "../log.ts";
import { COMPONENT, GROUP, KIND, VERSION, type ObjectMeta } from "../model.ts";
import { sleep } from "../backends/proc.ts";
import type { KubeClient } from "./client.ts";
import { isoNow } from "../iso-time.ts";
import { Wakeup } from "../wakeup.ts";

export type EventReason =
  | "ArtifactDownloaded"
  | "ArtifactDownloadFailed"
  | "ChecksumMismatch"
  | "ProcessStarted"
  | "ProcessStartFailed"
  | "ProcessExited"
  | "ProcessRestarted"
  | "ProcessStopped"
  | "ProcessAdopted"
  | "HealthCheckPassed"
  | "HealthCheckFailed"
  | "Upgrading";

export interface AgentEvent {
  meta: ObjectMeta;
  type: "Normal" | "Warning";
  reason: EventReason;
  message: string;
  time: string;
}

export function eventBody(e: AgentEvent, device: string): Record<string, unknown> {
  const suffix = `${Date.now().toString(16)}${randomBytes(3).toString("hex")}`;
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: `${e.meta.name}.${suffix}`, namespace: e.meta.namespace },
    involvedObject: {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: KIND,
      name: e.meta.name,
      namespace: e.meta.namespace,
      ...(e.meta.uid ? { uid: e.meta.uid } : {}),
      ...(e.meta.resourceVersion ? { resourceVersion: e.meta.resourceVersion } : {}),
    },
    reason: e.reason,
    message: e.message,
    type: e.type,
    source: { component: COMPONENT, host: device },
    reportingComponent: COMPONENT,
    reportingInstance: device,
    firstTimestamp: e.time,
    lastTimestamp: e.time,
    count: 1,
  };
}

export class EventRecorder {
  private readonly queue: AgentEvent[] = [];
  private readonly wakeup = new Wakeup();
  constructor(
    private readonly client: KubeClient,
    private readonly device: string,
    private readonly log: Logger,
    private readonly capacity = 100,
  ) {}

  emit(e: Omit<AgentEvent, "time">): void {
    this.queue.push({ ...e, time: isoNow() });
    if (this.queue.length > this.capacity) this.queue.shift();
    this.log.info(`event ${e.reason}`, { deviceProcess: `${e.meta.namespace}/${e.meta.name}`, message: e.message });
    this.wakeup.wake();
  }

  async run(signal: AbortSignal): Promise<void> {
    let delay = 500;
    while (!signal.aborted) {
      const e = this.queue[0];
      if (!e) {
        await this.wakeup.wait(signal);
        continue;
      }
      try {
        await this.client.json(
          "POST",
          `/api/v1/namespaces/${encodeURIComponent(e.meta.namespace)}/events`,
          eventBody(e, this.device),
          { signal },
        );
        this.queue.shift();
        delay = 500;
      } catch (err) {
        if (signal.aborted) return;
        const status = (err as { status?: number }).status;
        if (status !== undefined && status >= 400 && status < 500) {
          this.queue.shift(); // refused (e.g. namespace gone): drop, do not block the queue
          this.log.warn("event refused by the API server", { reason: e.reason, error: errorMessage(err) });
          continue;
        }
        await sleep(delay, signal).catch(() => undefined);
        delay = Math.min(15_000, delay * 2);
      }
    }
  }
}
