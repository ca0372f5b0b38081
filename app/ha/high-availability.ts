/**
 * Wiring of leader election into the engine: the elector (own KubeClient: Lease writes are not
 * fenced), the write fence the engine's KubeClient checks, the sharded consumer, `/readyz` and
 * `bosun_leader{shard}`.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { Gauge, type Registry } from "prom-client";
import { KubeClient } from "../../clients/kubernetes/index.ts";
import type { Backend, DesiredStateConsumer, Logger } from "../../engine/index.ts";
import { ShardElector } from "../../sources/kubernetes/leader/index.ts";
import type { HaSettings } from "./ha-settings.ts";
import { ShardedConsumer } from "./sharded-consumer.ts";
import { WriteFence } from "./write-fence.ts";

export interface HighAvailability {
  readonly settings: HaSettings;
  readonly elector: ShardElector;
  readonly fence: WriteFence;
  /** The consumer the loop calls: one reconciler per led shard and term. */
  consumer(opts: {
    backends: () => Backend[];
    reconciler: (backends: readonly Backend[]) => DesiredStateConsumer;
  }): ShardedConsumer;
  registerMetrics(registry: Registry): void;
  /** `/readyz`: the election answers, and a leader has applied a commit. */
  readiness(applied: boolean): { ok: boolean; text: string };
  start(): void;
  /** Stops writing, hands the Leases over (holder cleared) and stops electing. */
  stop(): Promise<void>;
}

export function createHighAvailability(
  settings: HaSettings,
  kc: KubeConfig,
  logger: Logger,
  onChange?: (held: readonly number[]) => void,
): HighAvailability {
  const client = new KubeClient(kc, { qps: 10, burst: 20, userAgent: "bosun-leader-election" });
  const log = logger.child({ identity: settings.identity });
  let gauge: Gauge | undefined;
  const elector = new ShardElector({
    client,
    namespace: settings.namespace,
    prefix: settings.prefix,
    identity: settings.identity,
    shards: settings.shards,
    timings: settings.timings,
    logger: log,
    onChange: (held, change) => {
      for (let s = 0; s < settings.shards; s++) gauge?.set({ shard: String(s) }, held.includes(s) ? 1 : 0);
      log.info({ shard: change.shard, event: change.event, held }, `shard ${change.shard} ${change.event}`);
      onChange?.(held);
    },
  });
  const fence = new WriteFence(elector);
  return {
    settings,
    elector,
    fence,
    consumer: ({ backends, reconciler }) =>
      new ShardedConsumer({ shards: settings.shards, leader: elector, fence, logger: log, backends, reconciler }),
    registerMetrics(registry) {
      gauge = new Gauge({
        name: "bosun_leader",
        help: "1 while this replica holds the Lease of the shard (and may write for it), else 0.",
        labelNames: ["shard"],
        registers: [registry],
      });
      for (let s = 0; s < settings.shards; s++) gauge.set({ shard: String(s) }, 0);
    },
    readiness(applied) {
      const view = elector.status();
      const since = view.lastContact === undefined ? undefined : performance.now() - view.lastContact;
      if (since === undefined || since > settings.timings.renewDeadlineMs) {
        const why = view.lastError ? ` (${view.lastError})` : "";
        return {
          ok: false,
          text: `leader election: no answer from the apiserver ${since === undefined ? "yet" : `for ${Math.round(since / 1000)} s`}${why}\n`,
        };
      }
      const led = view.held.length > 0 ? `shard ${view.held.join(", ")}` : undefined;
      if (led && !applied)
        return { ok: false, text: `leader of ${led} (${settings.identity}); no commit applied yet\n` };
      if (led) return { ok: true, text: `ready: leader of ${led} (${settings.identity})\n` };
      const others = [...view.holders].map(([s, h]) => `shard ${s}: ${h}`).join(", ");
      return { ok: true, text: `ready: standby (${settings.identity})${others ? `; ${others}` : ""}\n` };
    },
    start: () => elector.start(),
    async stop() {
      await elector.stop();
      client.close();
    },
  };
}
