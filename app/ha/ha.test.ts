import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FencedError, shardOfKey } from "../../engine/ha/index.ts";
import type { ApplyContext, Backend, DesiredState, DesiredStateConsumer, ObjectStatus } from "../../engine/index.ts";
import { clusterConfig } from "../kube-config.ts";
import { haSettings, shardBackend, ShardedConsumer, WriteFence } from "./index.ts";

const logger = { warn: () => undefined, info: () => undefined } as never;

describe("ha settings", () => {
  it("defaults to client-go's timings, the state namespace and a per-process identity", () => {
    const s = haSettings({}, "ops", { POD_NAME: "bosun-engine-7d9f" })!;
    expect(s.timings).toEqual({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 });
    expect(s).toMatchObject({ shards: 1, namespace: "ops", prefix: "bosun" });
    expect(s.identity).toMatch(/^bosun-engine-7d9f_[0-9a-f]{8}$/);
    expect(haSettings({}, "ops", { POD_NAME: "x" })!.identity).not.toBe(s.identity);
    expect(haSettings(undefined, "ops")).toBeUndefined();
  });

  it("refuses timings client-go would refuse, naming the setting", () => {
    expect(() => haSettings({ leaderElection: { leaseDurationMs: 5000, renewDeadlineMs: 5000 } }, undefined)).toThrow(
      /engine config ha.leaderElection: leaseDurationMs must be greater than renewDeadlineMs/,
    );
  });
});

describe("write fence", () => {
  it("lets a shard's pass write only while the shard's lease is held", async () => {
    const held = new Set([0]);
    const fence = new WriteFence({ holds: (s) => held.has(s) });
    expect(() => fence.check("apply ConfigMap ns/x")).toThrow(FencedError);
    await fence.run(0, async () => expect(() => fence.check("apply ConfigMap ns/x")).not.toThrow());
    await fence.run(1, async () =>
      expect(() => fence.check("apply ConfigMap ns/x")).toThrow(/apply ConfigMap ns\/x: refused: .* shard 1/),
    );
    held.delete(0);
    await fence.run(0, async () => {
      await new Promise((r) => setTimeout(r, 1)); // the scope survives awaits
      expect(() => fence.check("delete Secret ns/y")).toThrow(FencedError);
    });
    expect(fence.refused).toBe(3);
  });
});

const object = (name: string) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  namespace: "ns",
  name,
  body: { metadata: { name, namespace: "ns" } },
  source: { file: `${name}.yaml`, line: 1, col: 1 },
});

describe("sharded consumer", () => {
  const names = Array.from({ length: 20 }, (_, i) => `cm-${i}`);
  const desired = { objects: names.map(object), approvals: [], config: {} } as unknown as DesiredState;
  const context: ApplyContext = { commit: "c1", signal: new AbortController().signal };

  function setup(held: number[]) {
    const terms = new Map<number, number>([
      [0, 1],
      [1, 1],
    ]);
    const created: { backends: readonly Backend[]; seen: string[][] }[] = [];
    const consumer = new ShardedConsumer({
      shards: 2,
      leader: { held: () => held, holds: (s) => held.includes(s), term: (s) => terms.get(s) ?? 0 },
      fence: new WriteFence({ holds: (s) => held.includes(s) }),
      logger,
      backends: () => [{ name: "kubernetes" } as Backend],
      reconciler: (backends): DesiredStateConsumer => {
        const record = { backends, seen: [] as string[][] };
        created.push(record);
        return {
          apply: async (d) => {
            record.seen.push(d.objects.map((o) => o.name));
            return d.objects.map(
              (o) =>
                ({
                  kind: o.kind,
                  namespace: o.namespace,
                  name: o.name,
                  phase: "Ready",
                  observedCommit: "c1",
                }) as ObjectStatus,
            );
          },
        };
      },
    });
    return { consumer, created, terms };
  }

  it("reconciles the objects of the shards it leads, each by its shard's reconciler", async () => {
    const { consumer, created } = setup([1]);
    const statuses = await consumer.apply(desired, context);
    const shard1 = names.filter((n) => shardOfKey(`ConfigMap/ns/${n}`, 2) === 1);
    expect(shard1.length).toBeGreaterThan(0);
    expect(shard1.length).toBeLessThan(names.length);
    expect(statuses.map((s) => s.name)).toEqual(shard1);
    expect(created).toHaveLength(1);
    expect(created[0]!.seen).toEqual([shard1]);
    expect(consumer.plan()).toMatchObject({ held: [1], shards: 2 });
    expect(() => consumer.check([1])).not.toThrow();
    expect(() => consumer.check([0])).toThrow(/status branch push: refused/);
  });

  it("starts a fresh reconciler (fresh backends) when a shard's term changes", async () => {
    const { consumer, created, terms } = setup([0, 1]);
    await consumer.apply(desired, context);
    await consumer.apply(desired, context);
    expect(created).toHaveLength(2);
    terms.set(0, 2);
    await consumer.apply(desired, context);
    expect(created).toHaveLength(3);
  });

  it("keeps each shard's inventory under its own key (one shard: the usual key)", async () => {
    const keys: string[] = [];
    const backend = {
      name: "kubernetes",
      inventory: {
        load: async (name: string) => (keys.push(`load ${name}`), { entries: [] }) as never,
        save: async (name: string) => void keys.push(`save ${name}`),
      },
    } as unknown as Backend;
    const signal = new AbortController().signal;
    await shardBackend(backend, 1, 2).inventory.load("kubernetes", signal);
    await shardBackend(backend, 1, 2).inventory.save("kubernetes", {} as never, signal);
    await shardBackend(backend, 0, 1).inventory.load("kubernetes", signal);
    expect(keys).toEqual(["load kubernetes.shard-1", "save kubernetes.shard-1", "load kubernetes"]);
  });
});

describe("in-cluster configuration", () => {
  it("is the default when no kubeconfig is given: the service account token and CA under the root", async () => {
    const root = await mkdtemp(join(tmpdir(), "bosun-sa-"));
    try {
      const dir = join(root, "var/run/secrets/kubernetes.io/serviceaccount");
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, "token"), "t0ken");
      await writeFile(join(dir, "ca.crt"), "-----BEGIN CERTIFICATE-----\n");
      const env = {
        KUBERNETES_SERVICE_HOST: "10.0.0.1",
        KUBERNETES_SERVICE_PORT: "443",
        BOSUN_IN_CLUSTER_ROOT: root,
        KUBECONFIG: "/nonexistent",
      };
      const saved = { ...process.env };
      Object.assign(process.env, env); // client-node reads the service host from process.env
      try {
        const kc = clusterConfig({}, "kubernetes.kubeconfig", env);
        expect(kc.getCurrentCluster()).toMatchObject({ server: "https://10.0.0.1:443", caFile: join(dir, "ca.crt") });
        expect(JSON.stringify(kc.getCurrentUser())).toContain(join(dir, "token"));
      } finally {
        for (const k of Object.keys(env)) delete process.env[k];
        Object.assign(process.env, saved);
      }
      // Not in a pod (no service host) and nothing else: the error names the setting to set.
      expect(() =>
        clusterConfig({}, "kubernetes.kubeconfig", {
          BOSUN_IN_CLUSTER_ROOT: root,
          HOME: root,
          KUBECONFIG: "/nonexistent",
        }),
      ).toThrow(/no kubeconfig found.*set kubernetes.kubeconfig/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
