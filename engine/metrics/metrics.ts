import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { RolloutReport } from "../kinds/registration.ts";
import type { ObjectStatus } from "../status/types.ts";

/** The phases a rollout's status can have; `bosun_rollout_phase` is 1 for the current one, 0 for the others. */
export const ROLLOUT_PHASES = ["Ready", "Progressing", "WaitingForApproval", "Paused", "Failed"] as const;

const ROLLOUT_LABELS = ["kind", "namespace", "name"] as const;

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

  readonly rolloutDesired = new Gauge({
    name: "bosun_rollout_desired",
    help: "Targets (devices) a rollout should reach, per rollout.",
    labelNames: ROLLOUT_LABELS,
    registers: [this.registry],
  });
  readonly rolloutUpdated = new Gauge({
    name: "bosun_rollout_updated",
    help: "Targets running the rollout's current revision, per rollout.",
    labelNames: ROLLOUT_LABELS,
    registers: [this.registry],
  });
  readonly rolloutUnavailable = new Gauge({
    name: "bosun_rollout_unavailable",
    help: "Targets not ready (missing, pending, failed or unreachable), per rollout.",
    labelNames: ROLLOUT_LABELS,
    registers: [this.registry],
  });
  readonly rolloutWave = new Gauge({
    name: "bosun_rollout_wave",
    help: "1-based index of the first wave not done (the number of waves once all are done), per rollout.",
    labelNames: ROLLOUT_LABELS,
    registers: [this.registry],
  });
  readonly rolloutPhase = new Gauge({
    name: "bosun_rollout_phase",
    help: "1 for the rollout's current phase, 0 for the others.",
    labelNames: [...ROLLOUT_LABELS, "phase"],
    registers: [this.registry],
  });

  /** Records the rollouts of one pass (deployments gone since are dropped). */
  observeRollouts(rollouts: readonly RolloutReport[]): void {
    for (const gauge of [
      this.rolloutDesired,
      this.rolloutUpdated,
      this.rolloutUnavailable,
      this.rolloutWave,
      this.rolloutPhase,
    ])
      gauge.reset();
    for (const { status } of rollouts) {
      const labels = { kind: status.kind, namespace: status.namespace, name: status.name };
      const counts = status.counts ?? {};
      if (counts["desired"] !== undefined) this.rolloutDesired.set(labels, counts["desired"]);
      if (counts["updated"] !== undefined) this.rolloutUpdated.set(labels, counts["updated"]);
      if (counts["unavailable"] !== undefined) this.rolloutUnavailable.set(labels, counts["unavailable"]);
      if (status.wave) this.rolloutWave.set(labels, status.wave.current);
      for (const phase of ROLLOUT_PHASES) this.rolloutPhase.set({ ...labels, phase }, status.phase === phase ? 1 : 0);
    }
  }

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
