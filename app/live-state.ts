import type { KubeClient } from "../clients/kubernetes/index.ts";
import type { Logger } from "../engine/index.ts";
import { LiveCache } from "../sources/kubernetes/index.ts";

/** The engine's shared live read model: started on first use by a pass, stopped with the engine. */
export interface LiveStateHandle {
  readonly cache: LiveCache;
  stop(): Promise<void>;
}

export function liveState(client: KubeClient, logger: Logger): LiveStateHandle {
  const abort = new AbortController();
  const cache = new LiveCache(client, { signal: abort.signal });
  return {
    cache,
    async stop() {
      abort.abort();
      await cache.stopped();
      logger.debug({ ...cache.stats, ...cache.store.size() }, "live cache stopped");
    },
  };
}
