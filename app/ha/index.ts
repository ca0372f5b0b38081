/** Running more than one replica: leader election per shard, fencing, the sharded consumer. */
export { haSettings, type HaConfig, type HaSettings } from "./ha-settings.ts";
export { createHighAvailability, type HighAvailability } from "./high-availability.ts";
export { shardBackend, ShardedConsumer } from "./sharded-consumer.ts";
export { WriteFence } from "./write-fence.ts";
