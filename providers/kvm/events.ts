import { createHash } from "node:crypto";
import type { KubeClient, KubeObject } from "../../clients/kubernetes/index.ts";
import type { Logger } from "../../engine/index.ts";

export type EventType = "Normal" | "Warning";

/**
 * Kubernetes Events on the objects the provider reconciles (core/v1, as kubectl describe shows them). The same
 * reason and message on the same object count up one Event instead of adding another. Best effort: a failed write is
 * logged, never fails a reconcile.
 */
export class EventRecorder {
  constructor(
    private readonly kube: KubeClient,
    private readonly component: string,
    private readonly host: string,
    private readonly log: Logger,
  ) {}

  async record(obj: KubeObject, type: EventType, reason: string, message: string, now: Date): Promise<void> {
    const ns = obj.metadata.namespace ?? "default";
    const hash = createHash("sha256")
      .update(`${obj.metadata.uid ?? ""}/${type}/${reason}/${message}`)
      .digest("hex")
      .slice(0, 12);
    const name = `${obj.metadata.name}.${hash}`;
    const ts = now.toISOString();
    const ref = { apiVersion: "v1", kind: "Event", namespace: ns, name };
    try {
      const existing = await this.kube.get(ref);
      if (existing) {
        await this.kube.mergePatch(
          ref,
          { count: ((existing["count"] as number | undefined) ?? 1) + 1, lastTimestamp: ts },
          { fieldManager: this.component },
        );
        return;
      }
      await this.kube.create(
        {
          apiVersion: "v1",
          kind: "Event",
          metadata: { name, namespace: ns },
          involvedObject: {
            apiVersion: obj.apiVersion,
            kind: obj.kind,
            name: obj.metadata.name,
            namespace: ns,
            ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
          },
          type,
          reason,
          message: message.slice(0, 1000),
          source: { component: this.component, host: this.host },
          reportingComponent: this.component,
          reportingInstance: this.host,
          firstTimestamp: ts,
          lastTimestamp: ts,
          count: 1,
        },
        { fieldManager: this.component },
      );
    } catch (err) {
      this.log.warn({ err, reason, object: `${ns}/${obj.metadata.name}` }, "could not record an Event");
    }
  }
}
