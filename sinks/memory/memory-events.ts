import type { ObjectRef } from "../../engine/model/object-ref.ts";
import type { EventRecorder, FleetEvent } from "../../engine/reconcile/ports.ts";
import type { MemoryStorage } from "./storage.ts";

/** Counts events, and keeps `namespace/name Reason: message` lines when the storage records. */
export class MemoryEventRecorder implements EventRecorder {
  constructor(private readonly storage: MemoryStorage) {}

  async record(ref: ObjectRef, event: FleetEvent, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.storage.calls.events++;
    if (!this.storage.record) return;
    this.storage.writes.events.push(`${ref.namespace}/${ref.name} ${event.reason}: ${event.message}`);
  }
}
