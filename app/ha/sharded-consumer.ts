/**
 * The reconciler of a replica under leader election: each pass, for every shard it leads, a
 * FleetReconciler of that shard's term (fresh backends, so nothing cached from an earlier term is
 * trusted) runs over the shard's objects inside the write fence. Shards it does not lead are not
 * touched. With more than one shard each shard keeps its own inventory key, so no shard prunes
 * another's objects.
 */
import {
  assignShards,
  FencedError,
  objectStatusPath,
  type ShardStatusPlan,
  type StatusGate,
} from "../../engine/ha/index.ts";
import type {
  ApplyContext,
  Backend,
  DesiredState,
  DesiredStateConsumer,
  Logger,
  ObjectStatus,
} from "../../engine/index.ts";
import type { WriteFence } from "./write-fence.ts";

export interface ShardLeader {
  held(): number[];
  holds(shard: number): boolean;
  term(shard: number): number;
}

export interface ShardedConsumerOptions {
  readonly shards: number;
  readonly leader: ShardLeader;
  readonly fence: WriteFence;
  readonly logger: Logger;
  /** A reconciler over the given backends (one per shard term). */
  readonly reconciler: (backends: readonly Backend[]) => DesiredStateConsumer;
  readonly backends: () => Backend[];
}

/** A backend whose inventory lives under its own key per shard (`inventory.<backend>.shard-<n>.json`). */
export function shardBackend(backend: Backend, shard: number, shards: number): Backend {
  if (shards === 1) return backend;
  const key = (name: string): string => `${name}.shard-${shard}`;
  return {
    ...backend,
    inventory: {
      load: (name, signal) => backend.inventory.load(key(name), signal),
      save: (name, inventory, signal) => backend.inventory.save(key(name), inventory, signal),
    },
  };
}

export class ShardedConsumer implements DesiredStateConsumer, StatusGate {
  private readonly terms = new Map<number, { term: number; consumer: DesiredStateConsumer }>();
  private byPath: ReadonlyMap<string, number> = new Map();
  private problemsLogged = "";

  constructor(private readonly options: ShardedConsumerOptions) {}

  async apply(desired: DesiredState, context: ApplyContext): Promise<readonly ObjectStatus[]> {
    const { shards, leader, fence, logger } = this.options;
    const assignment = assignShards(desired.objects, shards);
    const problems = assignment.problems.join("\n");
    if (problems !== "" && problems !== this.problemsLogged) for (const p of assignment.problems) logger.warn(p);
    this.problemsLogged = problems;
    this.byPath = new Map(
      desired.objects.map((o) => [objectStatusPath(o), assignment.byKey.get(keyOf(o)) ?? 0] as const),
    );
    const held = leader.held();
    for (const shard of [...this.terms.keys()]) if (!held.includes(shard)) this.terms.delete(shard);
    const statuses: ObjectStatus[] = [];
    for (const shard of held) {
      const term = leader.term(shard);
      let entry = this.terms.get(shard);
      if (!entry || entry.term !== term) {
        const backends = this.options.backends().map((b) => shardBackend(b, shard, shards));
        entry = { term, consumer: this.options.reconciler(backends) };
        this.terms.set(shard, entry);
      }
      const objects = desired.objects.filter((o) => assignment.byKey.get(keyOf(o)) === shard);
      const consumer = entry.consumer;
      try {
        statuses.push(...(await fence.run(shard, () => consumer.apply({ ...desired, objects }, context))));
      } catch (error) {
        if (!(error instanceof FencedError) && leader.holds(shard)) throw error;
        logger.warn({ shard }, `pass of shard ${shard} stopped: ${error instanceof Error ? error.message : error}`);
      }
    }
    return statuses;
  }

  plan(): ShardStatusPlan {
    return { held: this.options.leader.held(), shards: this.options.shards, byPath: this.byPath };
  }

  check(shards: readonly number[]): void {
    for (const shard of shards)
      if (!this.options.leader.holds(shard))
        throw new FencedError(
          "status branch push",
          `refused: this replica no longer holds the lease of shard ${shard}; the shard's leader writes its status`,
        );
  }
}

function keyOf(o: { kind: string; namespace: string; name: string }): string {
  return o.namespace === "" ? `${o.kind}/${o.name}` : `${o.kind}/${o.namespace}/${o.name}`;
}
