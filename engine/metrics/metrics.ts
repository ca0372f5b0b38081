import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { ObjectStatus } from "../status/types.ts";

/** The engine's Prometheus metrics, on a registry of their own (no globals). */
export class EngineMetrics {
  readonly registry = new Registry();
  readonly passDuration = new Histogram({
    name: "bosun_pass_duration_seconds",
    help: "Duration of reconcile passes.",
    labelNames: ["outcome"],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly lastSuccess = new Gauge({
    name: "bosun_last_successful_pass_timestamp_seconds",
    help: "Unix time of the last pass that applied a valid commit.",
    registers: [this.registry],
  });
  readonly objects = new Gauge({
    name: "bosun_objects",
    help: "Fleet objects by kind and phase after the last pass.",
    labelNames: ["kind", "phase"],
    registers: [this.registry],
  });
  readonly drift = new Gauge({
    name: "bosun_drifted_objects",
    help: "Objects whose live state drifted from Git in the last pass.",
    registers: [this.registry],
  });
  readonly applyErrors = new Counter({
    name: "bosun_apply_errors_total",
    help: "Objects a sink failed to apply or delete.",
    registers: [this.registry],
  });
  readonly lastReconciled = new Gauge({
    name: "bosun_object_last_reconciled_timestamp_seconds",
    help: "Unix time each fleet object was last reconciled.",
    labelNames: ["kind", "namespace", "name"],
    registers: [this.registry],
  });

  /** Records the statuses of one pass; `now` in ms. */
  observeStatuses(statuses: readonly ObjectStatus[], now: number): void {
    this.objects.reset();
    const counts = new Map<string, number>();
    for (const s of statuses) {
      const key = `${s.kind}\u0000${s.phase}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      this.lastReconciled.set({ kind: s.kind, namespace: s.namespace, name: s.name }, now / 1000);
    }
    for (const [key, n] of counts) {
      const [kind = "", phase = ""] = key.split("\u0000");
      this.objects.set({ kind, phase }, n);
    }
  }
}
