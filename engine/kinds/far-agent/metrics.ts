import { Gauge, Histogram, Registry } from "prom-client";

/**
 * FAR agent metrics, on a registry of their own (served next to the engine's: app/ merges it):
 * `bosun_faragent_state{state}` (agents per current state after the last pass) and
 * `bosun_faragent_transition_duration_seconds{to}` (from a lifecycle change in Git to the agent
 * reaching it).
 */
export class FarAgentMetrics {
  readonly registry = new Registry();
  private readonly state = new Gauge({
    name: "bosun_faragent_state",
    help: "FAR agents by current state after the last pass.",
    labelNames: ["state"],
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: "bosun_faragent_transition_duration_seconds",
    help: "From a lifecycle.state change in Git to the agent reaching it.",
    labelNames: ["to"],
    buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300],
    registers: [this.registry],
  });

  /** Serves these metrics from another registry too (the engine's /metrics). */
  registerOn(registry: Registry): void {
    if (!registry.getSingleMetric("bosun_faragent_state")) registry.registerMetric(this.state);
    if (!registry.getSingleMetric("bosun_faragent_transition_duration_seconds")) registry.registerMetric(this.duration);
  }

  states(states: readonly string[]): void {
    const counts = new Map<string, number>();
    for (const s of states) counts.set(s, (counts.get(s) ?? 0) + 1);
    this.state.reset();
    for (const [s, n] of counts) this.state.set({ state: s }, n);
  }

  transition(to: string, seconds: number): void {
    this.duration.observe({ to }, Math.max(0, seconds));
  }
}

export const farAgentMetrics = new FarAgentMetrics();
