import { randomBytes } from "node:crypto";
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import type { Logger } from "../../engine/log/logger.ts";
import type { ObjectRef } from "../../engine/model/object-ref.ts";
import type { EventRecorder, FleetEvent } from "../../engine/reconcile/ports.ts";

export interface KubernetesEventRecorderOptions {
  readonly client: KubeClient;
  readonly logger: Logger;
  /** `source.component` of the Events (default `bosun`). */
  readonly component?: string;
}

/** Events (core/v1) on the objects Bosun drives; best effort: a failure is logged, never thrown (except on abort). */
export class KubernetesEventRecorder implements EventRecorder {
  constructor(private readonly opts: KubernetesEventRecorderOptions) {}

  async record(ref: ObjectRef & { readonly uid?: string }, event: FleetEvent, signal: AbortSignal): Promise<void> {
    const now = new Date().toISOString();
    try {
      await this.opts.client.create(
        {
          apiVersion: "v1",
          kind: "Event",
          metadata: { name: `${ref.name}.${randomBytes(8).toString("hex")}`, namespace: ref.namespace },
          involvedObject: {
            apiVersion: ref.apiVersion,
            kind: ref.kind,
            name: ref.name,
            namespace: ref.namespace,
            ...(ref.uid ? { uid: ref.uid } : {}),
          },
          reason: event.reason,
          message: event.message,
          type: event.type,
          source: { component: this.opts.component ?? "bosun" },
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
        { signal },
      );
    } catch (error) {
      if (signal.aborted) throw error;
      this.opts.logger.warn({ reason: event.reason, err: (error as Error).message }, "could not record event");
    }
  }
}
