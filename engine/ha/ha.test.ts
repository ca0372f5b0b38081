import { describe, expect, it } from "vitest";
import {
  assignShards,
  fairShare,
  Fence,
  fnv1a32,
  isFree,
  LEASE_DEFAULTS,
  leaseAction,
  LeaseObserver,
  shardOf,
  shardOfKey,
  shardOfStatusPath,
  shardPreference,
  timingsProblem,
  objectStatusPath,
  shardedStatusFiles,
} from "./index.ts";

const dpd = (name: string, annotations?: Record<string, string>) => ({
  kind: "DeviceProcessDeployment",
  namespace: "infra-system",
  name,
  body: { metadata: { name, namespace: "infra-system", ...(annotations ? { annotations } : {}) } },
});

describe("shard assignment", () => {
  it("is a stable FNV-1a hash of the object key", () => {
    expect(fnv1a32("")).toBe(0x811c9dc5);
    expect(fnv1a32("a")).toBe(0xe40c292c);
    expect(shardOfKey("DeviceProcessDeployment/infra-system/switch-agent", 1)).toBe(0);
    const a = shardOfKey("DeviceProcessDeployment/infra-system/switch-agent", 7);
    expect(shardOfKey("DeviceProcessDeployment/infra-system/switch-agent", 7)).toBe(a);
  });

  it("spreads 100 deployments over both of two shards, roughly evenly", () => {
    const objects = Array.from({ length: 100 }, (_, i) => dpd(`d${i}`));
    const { byKey } = assignShards(objects, 2);
    const zero = [...byKey.values()].filter((s) => s === 0).length;
    expect(zero).toBeGreaterThan(30);
    expect(zero).toBeLessThan(70);
  });

  it("takes a valid annotation, and names a bad one while falling back to the hash", () => {
    expect(shardOf(dpd("x", { "bosun.dev/shard": "1" }), 4).shard).toBe(1);
    const bad = shardOf(dpd("x", { "bosun.dev/shard": "9" }), 4);
    expect(bad.shard).toBe(shardOfKey("DeviceProcessDeployment/infra-system/x", 4));
    expect(bad.problem).toMatch(/DeviceProcessDeployment infra-system\/x: annotation bosun.dev\/shard "9".*0\.\.3/);
    expect(shardOf(dpd("x", { "bosun.dev/shard": "one" }), 4).problem).toBeDefined();
    expect(() => shardOfKey("k", 0)).toThrow(/shards must be an integer >= 1/);
  });

  it("owns status files by object shard; files of objects gone by the hash of their path", () => {
    const byPath = new Map([["objects/DeviceProcessDeployment/infra-system/x.yaml", 1]]);
    expect(shardOfStatusPath("objects/DeviceProcessDeployment/infra-system/x.yaml", byPath, 4)).toBe(1);
    expect(shardOfStatusPath("objects/DeviceProcessDeployment/infra-system/gone.yaml", byPath, 4)).toBe(
      shardOfKey("DeviceProcessDeployment/infra-system/gone", 4),
    );
    expect(shardOfStatusPath("objects/Namespace/_cluster/ns.yaml", byPath, 4)).toBe(shardOfKey("Namespace/ns", 4));
    expect(shardOfStatusPath("shards/3/STATUS.md", byPath, 4)).toBe(3);
    expect(shardOfStatusPath("README.md", byPath, 4)).toBeUndefined();
  });
});

describe("fair share", () => {
  it("splits shards over live replicas, rounding up", () => {
    expect(fairShare(2, 2)).toBe(1);
    expect(fairShare(2, 1)).toBe(2);
    expect(fairShare(3, 2)).toBe(2);
    expect(fairShare(1, 3)).toBe(1);
    expect(fairShare(4, 0)).toBe(4);
  });
  it("starts each replica at its own shard", () => {
    expect(shardPreference(3, 4)).toEqual([1, 2, 0]);
  });
});

describe("lease decisions (client-go semantics)", () => {
  const timings = LEASE_DEFAULTS;
  it("has client-go's defaults and rejects inconsistent timings", () => {
    expect(timings).toEqual({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 });
    expect(timingsProblem(timings)).toBeUndefined();
    expect(timingsProblem({ ...timings, renewDeadlineMs: 15_000 })).toMatch(/leaseDurationMs must be greater/);
    expect(timingsProblem({ ...timings, retryPeriodMs: 10_000 })).toMatch(/renewDeadlineMs must be greater/);
  });

  it("measures expiry from when the record was seen to change, by the local clock", () => {
    const observer = new LeaseObserver();
    const rec = { holderIdentity: "a", leaseDurationSeconds: 15 };
    observer.observe("l", rec, "1", 1000);
    // Same resourceVersion later: the observation time stays.
    const o = observer.observe("l", rec, "1", 9000);
    expect(o.observedAt).toBe(1000);
    expect(isFree(o, 15_999, 15_000)).toBe(false);
    expect(isFree(o, 16_000, 15_000)).toBe(true);
    // A renew (new resourceVersion) restarts it.
    expect(observer.observe("l", rec, "2", 16_500).observedAt).toBe(16_500);
    expect(isFree(undefined, 0, 15_000)).toBe(true);
    expect(isFree({ record: {}, resourceVersion: "3", observedAt: 0 }, 0, 15_000)).toBe(true);
  });

  it("renews its own, takes free ones below its share, releases above it, waits otherwise", () => {
    const seen = (holder: string | undefined, at = 0) => ({
      record: { ...(holder ? { holderIdentity: holder } : {}), leaseDurationSeconds: 15, leaseTransitions: 2 },
      resourceVersion: "1",
      observedAt: at,
    });
    const base = { identity: "me", now: 5000, timings, held: 0, share: 1 };
    expect(leaseAction({ ...base, observed: seen("me"), held: 1 })).toEqual({ kind: "renew" });
    expect(leaseAction({ ...base, observed: seen("me"), held: 2 })).toEqual({ kind: "release" });
    expect(leaseAction({ ...base, observed: seen("other") })).toEqual({ kind: "wait", holder: "other" });
    expect(leaseAction({ ...base, observed: seen("other"), now: 15_000 })).toEqual({ kind: "acquire", transitions: 3 });
    expect(leaseAction({ ...base, observed: seen(undefined) })).toEqual({ kind: "acquire", transitions: 3 });
    expect(leaseAction({ ...base, observed: undefined })).toEqual({ kind: "acquire", transitions: 0 });
    expect(leaseAction({ ...base, observed: undefined, held: 1 })).toEqual({ kind: "wait" });
  });
});

describe("fence", () => {
  it("allows writes until renewDeadline after the last successful renew was sent", () => {
    const fence = new Fence(10_000);
    expect(fence.holds(0, 0)).toBe(false);
    fence.renewed(0, 1000);
    expect(fence.holds(0, 10_999)).toBe(true);
    expect(fence.holds(0, 11_000)).toBe(false);
    fence.renewed(0, 3000);
    expect(fence.remaining(0, 12_000)).toBe(1000);
    // A late answer to an older renew never shortens it.
    fence.renewed(0, 2000);
    expect(fence.holds(0, 12_500)).toBe(true);
    fence.renewed(1, 3000);
    expect(fence.held(5000)).toEqual([0, 1]);
    fence.drop(0);
    expect(fence.held(5000)).toEqual([1]);
  });

  it("closes before any other candidate may take the lease over", () => {
    const timings = LEASE_DEFAULTS;
    const fence = new Fence(timings.renewDeadlineMs);
    const sentAt = 1000;
    fence.renewed(0, sentAt);
    // Another candidate sees the renewed record no earlier than it was sent.
    const observer = new LeaseObserver();
    const o = observer.observe("l", { holderIdentity: "me", leaseDurationSeconds: 15 }, "7", sentAt);
    for (let t = sentAt; t < sentAt + 20_000; t += 250) {
      if (isFree(o, t, timings.leaseDurationMs)) expect(fence.holds(0, t)).toBe(false);
    }
  });
});

describe("status files per shard", () => {
  const commit = { repo: "r", ref: "main", phase: "Applied" as const, observedCommit: "c1", appliedCommit: "c1" };
  const status = (name: string) => ({ kind: "ConfigMap", namespace: "ns", name, phase: "Ready", observedCommit: "c1" });
  const names = Array.from({ length: 10 }, (_, i) => `cm-${i}`);
  const byPath = new Map(names.map((n) => [objectStatusPath(status(n)), shardOfKey(`ConfigMap/ns/${n}`, 2)]));
  const limits = { maxFileBytes: 65_536, maxSummaryBytes: 1_048_576 };

  it("writes nothing for a replica that leads no shard", () => {
    expect(shardedStatusFiles({ held: [], shards: 2, byPath }, commit, names.map(status), limits)).toBeUndefined();
  });

  it("writes its shards' object files and a STATUS.md per shard, and may delete only its shards' files", () => {
    const files = shardedStatusFiles({ held: [1], shards: 2, byPath }, commit, names.map(status), limits)!;
    const objects = [...files.files.keys()].filter((p) => p.startsWith("objects/"));
    expect(objects.sort()).toEqual(
      names
        .filter((n) => byPath.get(`objects/ConfigMap/ns/${n}.yaml`) === 1)
        .map((n) => `objects/ConfigMap/ns/${n}.yaml`)
        .sort(),
    );
    expect(files.files.has("shards/1/STATUS.md")).toBe(true);
    expect(files.files.has("shards/1/_commit.yaml")).toBe(true);
    expect(files.files.has("STATUS.md")).toBe(false);
    const other = names.find((n) => byPath.get(`objects/ConfigMap/ns/${n}.yaml`) === 0)!;
    expect(files.owns?.(`objects/ConfigMap/ns/${other}.yaml`)).toBe(false);
    expect(files.owns?.(objects[0]!)).toBe(true);
  });

  it("keeps the usual layout with one shard", () => {
    const one = new Map([...byPath.keys()].map((p) => [p, 0]));
    const files = shardedStatusFiles({ held: [0], shards: 1, byPath: one }, commit, names.map(status), limits)!;
    expect(files.files.has("STATUS.md")).toBe(true);
    expect([...files.files.keys()].filter((p) => p.startsWith("objects/"))).toHaveLength(10);
  });
});
