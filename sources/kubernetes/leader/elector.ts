/**
 * Lease-based leader election per shard (`coordination.k8s.io/v1`), client-go's timings: every
 * `retryPeriod` (jittered) one LIST of the election's Leases, a renew of this replica's membership
 * Lease, then per shard what `leaseAction` says — renew, acquire up to the fair share over the live
 * replicas, release above it, wait. Writes are fenced by {@link Fence}: a shard's writes stop
 * `renewDeadline` after the last renew that succeeded was sent, whatever the network does.
 *
 * Give it its own KubeClient: its Lease writes are the only writes that must not be fenced.
 */
import type { KubeClient } from "../../../clients/kubernetes/client.ts";
import { isConflict, isNotFound } from "../../../clients/kubernetes/errors.ts";
import type { KubeObject } from "../../../clients/kubernetes/types.ts";
import {
  Fence,
  fairShare,
  fnv1a32,
  isFree,
  leaseAction,
  LeaseObserver,
  shardPreference,
  type LeaseRecord,
  type LeaseTimings,
} from "../../../engine/ha/index.ts";
import type { Logger } from "../../../engine/log/logger.ts";
import {
  ELECTION_LABEL,
  LEASE_API,
  leaseBody,
  microTime,
  replicaLeaseName,
  ROLE_LABEL,
  shardLeaseName,
} from "./lease-body.ts";

export interface ShardElectorOptions {
  readonly client: KubeClient;
  readonly namespace: string;
  /** Name prefix of the Leases (`<prefix>-shard-<n>`, `<prefix>-replica-<id>`). */
  readonly prefix: string;
  readonly identity: string;
  readonly shards: number;
  readonly timings: LeaseTimings;
  readonly logger: Logger;
  /** Monotonic milliseconds (default performance.now). */
  readonly clock?: () => number;
  /** Wall clock for the Lease timestamps. */
  readonly wallClock?: () => Date;
  readonly random?: () => number;
  /** Called whenever the set of shards this replica may write for changes. */
  readonly onChange?: (held: readonly number[], change: ShardChange) => void;
}

export interface ShardChange {
  readonly shard: number;
  readonly event: "acquired" | "lost" | "released";
  /** The holder seen when lost to another replica. */
  readonly holder?: string;
}

/** What the last round saw: for /readyz and logs. */
export interface ElectionView {
  readonly held: readonly number[];
  /** Shard → holder identity as last seen. */
  readonly holders: ReadonlyMap<number, string>;
  readonly liveReplicas: number;
  /** Monotonic ms of the last round whose LIST succeeded, if any. */
  readonly lastContact?: number;
  readonly lastError?: string;
}

export class ShardElector {
  readonly fence: Fence;
  private readonly observer = new LeaseObserver();
  private readonly clock: () => number;
  private readonly wall: () => Date;
  private readonly random: () => number;
  private readonly preference: number[];
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  /** Fires at the earliest fence expiry, so a lost shard is reported when it is lost, not a round later. */
  private expiry: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private lastHeld: number[] = [];
  private readonly terms = new Map<number, number>();
  private view: ElectionView = { held: [], holders: new Map(), liveReplicas: 0 };
  private readonly durationSeconds: number;

  constructor(private readonly options: ShardElectorOptions) {
    this.fence = new Fence(options.timings.renewDeadlineMs);
    this.clock = options.clock ?? (() => performance.now());
    this.wall = options.wallClock ?? (() => new Date());
    this.random = options.random ?? Math.random;
    this.preference = shardPreference(options.shards, fnv1a32(options.identity));
    this.durationSeconds = Math.max(1, Math.ceil(options.timings.leaseDurationMs / 1000));
  }

  get identity(): string {
    return this.options.identity;
  }

  /** True while this replica may write for `shard`. */
  holds(shard: number): boolean {
    return this.fence.holds(shard, this.clock());
  }

  /** The shards this replica may write for now. */
  held(): number[] {
    return this.fence.held(this.clock());
  }

  /** Increases every time this replica acquires the shard: a new term starts from fresh state. */
  term(shard: number): number {
    return this.terms.get(shard) ?? 0;
  }

  /** Milliseconds of write time left for `shard`. */
  remaining(shard: number): number {
    return this.fence.remaining(shard, this.clock());
  }

  status(): ElectionView {
    return { ...this.view, held: this.held() };
  }

  /** Runs the first round now and then every retry period until stop(). */
  start(): void {
    const tick = (): void => {
      this.round = this.runRound().finally(() => {
        if (this.abort.signal.aborted) return;
        const { retryPeriodMs } = this.options.timings;
        this.timer = setTimeout(tick, retryPeriodMs * (1 + 0.2 * this.random()));
      });
    };
    tick();
  }

  /** Stops electing, stops writing at once, and hands the held Leases over (holder cleared). */
  async stop(): Promise<void> {
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
    if (this.expiry) clearTimeout(this.expiry);
    await this.round?.catch(() => undefined);
    const held = this.held();
    for (const shard of held) this.fence.drop(shard);
    this.notify();
    const signal = AbortSignal.timeout(this.options.timings.renewDeadlineMs);
    await Promise.all(held.map((s) => this.release(s, signal).catch(() => undefined)));
    await this.options.client
      .delete(
        { apiVersion: LEASE_API, kind: "Lease", namespace: this.options.namespace, name: this.memberName() },
        { signal },
      )
      .catch(() => undefined);
  }

  private memberName(): string {
    return replicaLeaseName(this.options.prefix, this.options.identity);
  }

  private async runRound(): Promise<void> {
    const { client, namespace, prefix, shards, timings, logger, identity } = this.options;
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(timings.renewDeadlineMs)]);
    try {
      const listed = await client.list(LEASE_API, "Lease", {
        namespace,
        labelSelector: `${ELECTION_LABEL}=${prefix}`,
        signal,
      });
      const now = this.clock();
      const byName = new Map<string, KubeObject>(listed.items.map((o) => [o.metadata.name, o]));
      let live = 1;
      for (const o of listed.items) {
        const seen = this.observer.observe(o.metadata.name, recordOf(o), o.metadata.resourceVersion ?? "", now);
        if (o.metadata.labels?.[ROLE_LABEL] !== "replica" || o.metadata.name === this.memberName()) continue;
        if (!isFree(seen, now, timings.leaseDurationMs)) live++;
        else if (now - seen.observedAt > 4 * timings.leaseDurationMs) await this.removeStale(o, signal);
      }
      this.view = { ...this.view, liveReplicas: live, lastContact: now };
      await this.renewMember(byName.get(this.memberName()), signal);
      const share = fairShare(shards, live);
      const holders = new Map<number, string>();
      for (const shard of this.preference) {
        const name = shardLeaseName(prefix, shard);
        const object = byName.get(name);
        const observed = object ? this.observer.get(name) : undefined;
        const held = this.fence.held(this.clock()).length;
        const action = leaseAction({ identity, observed, now: this.clock(), timings, held, share });
        const holder = observed?.record.holderIdentity;
        if (holder) holders.set(shard, holder);
        if (action.kind === "renew" || action.kind === "acquire") {
          const sentAt = this.clock();
          const wrote = await this.write(
            shard,
            object,
            action.kind === "acquire" ? action.transitions : undefined,
            signal,
          );
          if (wrote) {
            if (action.kind === "acquire" || !this.fence.holds(shard, sentAt)) {
              this.terms.set(shard, this.term(shard) + 1);
              logger.info({ shard, identity, term: this.term(shard) }, `acquired the lease of shard ${shard}`);
            }
            this.fence.renewed(shard, sentAt);
            holders.set(shard, identity);
          }
        } else if (action.kind === "release") {
          this.fence.drop(shard);
          await this.release(shard, signal);
          logger.info({ shard, identity, share }, `released shard ${shard} (above the fair share of ${share})`);
        } else if (this.fence.holds(shard, this.clock())) {
          // Seen held by another: stop writing at once.
          this.fence.drop(shard);
        }
      }
      this.view = { held: this.held(), holders, liveReplicas: live, lastContact: now };
    } catch (error) {
      if (this.abort.signal.aborted) return;
      const message = error instanceof Error ? error.message : String(error);
      this.view = { ...this.view, lastError: message };
      logger.warn({ identity, held: this.held() }, `leader election round failed: ${message}`);
    } finally {
      this.notify();
    }
  }

  /** Fires onChange for every shard gained or lost since the last call. */
  private notify(): void {
    const now = this.held();
    if (this.expiry) clearTimeout(this.expiry);
    if (now.length > 0 && !this.abort.signal.aborted) {
      const next = Math.min(...now.map((shard) => this.remaining(shard)));
      this.expiry = setTimeout(() => this.notify(), next + 1);
      this.expiry.unref();
    }
    const before = new Set(this.lastHeld);
    const after = new Set(now);
    this.lastHeld = now;
    for (const shard of after) if (!before.has(shard)) this.options.onChange?.(now, { shard, event: "acquired" });
    for (const shard of before) {
      if (after.has(shard)) continue;
      const holder = this.view.holders.get(shard);
      this.options.logger.warn(
        { shard, identity: this.options.identity, ...(holder ? { holder } : {}) },
        `stopped writing for shard ${shard}: its lease is no longer held (renew deadline passed, released or taken)`,
      );
      this.options.onChange?.(now, { shard, event: "lost", ...(holder ? { holder } : {}) });
    }
  }

  /** Acquire (transitions given) or renew one shard's Lease; false when someone else won the race. */
  private async write(
    shard: number,
    object: KubeObject | undefined,
    transitions: number | undefined,
    signal: AbortSignal,
  ): Promise<boolean> {
    const { client, namespace, prefix, identity } = this.options;
    const now = microTime(this.wall());
    const spec = (object?.["spec"] ?? {}) as { acquireTime?: string; leaseTransitions?: number };
    const body = leaseBody({
      namespace,
      name: shardLeaseName(prefix, shard),
      prefix,
      role: "shard",
      ...(object?.metadata.resourceVersion ? { resourceVersion: object.metadata.resourceVersion } : {}),
      holderIdentity: identity,
      leaseDurationSeconds: this.durationSeconds,
      acquireTime: transitions === undefined && spec.acquireTime ? spec.acquireTime : now,
      renewTime: now,
      leaseTransitions: transitions ?? spec.leaseTransitions ?? 0,
    });
    try {
      if (object) await client.replace(body, signal);
      else await client.create(body, { signal });
      return true;
    } catch (error) {
      if (isConflict(error) || isNotFound(error)) return false; // lost the race; next round sees who won
      throw error;
    }
  }

  private async release(shard: number, signal: AbortSignal): Promise<void> {
    const { client, namespace, prefix, identity } = this.options;
    const name = shardLeaseName(prefix, shard);
    const current = await client.get({ apiVersion: LEASE_API, kind: "Lease", namespace, name }, signal);
    const spec = (current?.["spec"] ?? {}) as { holderIdentity?: string; leaseTransitions?: number };
    if (!current || spec.holderIdentity !== identity) return;
    await client
      .replace(
        leaseBody({
          namespace,
          name,
          prefix,
          role: "shard",
          ...(current.metadata.resourceVersion ? { resourceVersion: current.metadata.resourceVersion } : {}),
          leaseDurationSeconds: 1,
          renewTime: microTime(this.wall()),
          leaseTransitions: spec.leaseTransitions ?? 0,
        }),
        signal,
      )
      .catch((error: unknown) => {
        if (!isConflict(error)) throw error;
      });
  }

  private async renewMember(current: KubeObject | undefined, signal: AbortSignal): Promise<void> {
    const { client, namespace, prefix, identity } = this.options;
    const body = leaseBody({
      namespace,
      name: this.memberName(),
      prefix,
      role: "replica",
      ...(current?.metadata.resourceVersion ? { resourceVersion: current.metadata.resourceVersion } : {}),
      holderIdentity: identity,
      leaseDurationSeconds: this.durationSeconds,
      renewTime: microTime(this.wall()),
    });
    try {
      if (current) await client.replace(body, signal);
      else await client.create(body, { signal });
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
  }

  private async removeStale(o: KubeObject, signal: AbortSignal): Promise<void> {
    this.observer.forget(o.metadata.name);
    await this.options.client
      .delete(
        { apiVersion: LEASE_API, kind: "Lease", namespace: this.options.namespace, name: o.metadata.name },
        { signal },
      )
      .catch(() => undefined);
  }
}

function recordOf(o: KubeObject): LeaseRecord {
  const spec = (o["spec"] ?? {}) as LeaseRecord;
  return {
    ...(spec.holderIdentity ? { holderIdentity: spec.holderIdentity } : {}),
    ...(spec.leaseDurationSeconds !== undefined ? { leaseDurationSeconds: spec.leaseDurationSeconds } : {}),
    ...(spec.leaseTransitions !== undefined ? { leaseTransitions: spec.leaseTransitions } : {}),
  };
}
