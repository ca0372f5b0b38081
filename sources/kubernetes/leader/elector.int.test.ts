/**
 * The shard elector against the lab kube-apiserver, two candidates in one process (one clock, so
 * their fences can be compared at the same instant): the first takes every shard alone, gives one
 * up when a second replica joins (fair share), the two never hold a shard at the same time, and a
 * stopped replica hands its shards over.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeClient } from "../../../clients/kubernetes/client.ts";
import { createLogger } from "../../../engine/log/logger.ts";
import { createTestNamespace, kubeClient, type TestNamespace } from "../../../test/support/kube.ts";
import { ShardElector } from "./index.ts";

const TIMINGS = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 200 };

describe("ShardElector", () => {
  let client: KubeClient;
  let ns: TestNamespace;
  const electors: ShardElector[] = [];
  const elector = (identity: string): ShardElector => {
    const e = new ShardElector({
      client,
      namespace: ns.name,
      prefix: "t",
      identity,
      shards: 2,
      timings: TIMINGS,
      logger: createLogger({ level: "silent" }),
    });
    electors.push(e);
    return e;
  };
  /** Polls until `done`, checking at every sample that no shard is held by both. */
  const until = async (what: string, done: () => boolean, a: ShardElector, b?: ShardElector): Promise<void> => {
    for (const deadline = Date.now() + 30_000; ; await new Promise((r) => setTimeout(r, 20))) {
      if (b) for (const s of [0, 1]) expect(a.holds(s) && b.holds(s), `shard ${s} held by both`).toBe(false);
      if (done()) return;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: a ${a.held()} b ${b?.held()}`);
    }
  };

  beforeAll(async () => {
    client = kubeClient();
    ns = await createTestNamespace(client, "elector");
  });
  afterAll(async () => {
    for (const e of electors) await e.stop().catch(() => undefined);
    await ns?.cleanup();
    client?.close();
  });

  it("alone it leads every shard; a second replica gets its fair share; a stopped one hands over", async () => {
    const a = elector("a");
    a.start();
    await until("a to lead both shards", () => a.held().length === 2, a);
    expect(a.term(0)).toBe(1);
    const b = elector("b");
    b.start();
    await until("one shard each", () => a.held().length === 1 && b.held().length === 1, a, b);
    const moved = b.held()[0]!;
    expect(b.status().holders.get(moved)).toBe("b");
    const lease = await client.get({
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      namespace: ns.name,
      name: `t-shard-${moved}`,
    });
    expect(lease?.["spec"]).toMatchObject({ holderIdentity: "b", leaseDurationSeconds: 3 });
    expect((lease?.["spec"] as { leaseTransitions: number }).leaseTransitions).toBeGreaterThanOrEqual(1);
    await a.stop();
    expect(a.held()).toEqual([]);
    await until("b to lead both shards", () => b.held().length === 2, b);
    // The stopped replica's membership Lease is gone, so b's fair share is every shard.
    expect(b.status().liveReplicas).toBe(1);
  });
});
