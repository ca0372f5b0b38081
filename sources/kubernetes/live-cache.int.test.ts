import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import { bosunCrds } from "../../sinks/kubernetes/fixtures.ts";
import { KubernetesSink } from "../../sinks/kubernetes/sink.ts";
import { createTestNamespace, kubeClient, restartApiServer, type TestNamespace } from "../../test/support/kube.ts";
import { LiveCache } from "./live-cache.ts";

const API = "azure.com/v1alpha1";

describe("LiveCache against the lab apiserver", () => {
  let client: KubeClient;
  let ns: TestNamespace;
  const device = (kind: string, name: string, labels: Record<string, string> = {}) => ({
    apiVersion: API,
    kind,
    metadata: { name, namespace: ns.name, labels },
    spec: { rack: "r1" },
  });
  const ref = (kind: string, name: string) => ({ apiVersion: API, kind, namespace: ns.name, name });
  const lease = (device: string, renewTime: string) => ({
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name: `bosun-device-${device}`, namespace: ns.name },
    spec: { holderIdentity: device, renewTime },
  });
  const names = (cache: LiveCache): string[] => cache.store.devices().value.map((d) => `${d.kind}/${d.name}`);

  beforeAll(async () => {
    client = kubeClient();
    const applied = await new KubernetesSink({ client }).apply(await bosunCrds(), AbortSignal.timeout(120_000));
    expect(applied.filter((c) => c.error !== undefined)).toEqual([]);
    ns = await createTestNamespace(client, "live");
  });
  afterAll(async () => {
    await ns.cleanup();
    client.close();
  });

  it("lists devices and heartbeats, then follows adds, label changes and deletes", async () => {
    await client.create(device("NetworkSwitch", "tor1-01", { role: "tor" }));
    await client.create(lease("tor1-01", "2026-01-01T00:00:00.000000Z"));
    const ac = new AbortController();
    const cache = new LiveCache(client, { signal: ac.signal, namespace: ns.name });
    const state = await cache.state();
    expect(names(cache)).toEqual(["NetworkSwitch/tor1-01"]);
    expect(state.heartbeats(ns.name).value.get("tor1-01")).toBe(Date.parse("2026-01-01T00:00:00Z"));

    await client.create(device("DPU", "dpu-1"));
    await client.mergePatch(ref("NetworkSwitch", "tor1-01"), { metadata: { labels: { role: "spine" } } });
    await cache.until(() => names(cache).length === 2 && state.devices().value[0]?.labels["role"] === "spine");
    expect(names(cache)).toEqual(["NetworkSwitch/tor1-01", "DPU/dpu-1"]);
    await client.delete(ref("DPU", "dpu-1"));
    await cache.until(() => names(cache).length === 1);
    ac.abort();
    await cache.stopped();
  });

  it("survives an API server restart and converges on changes made after it", async () => {
    const ac = new AbortController();
    const cache = new LiveCache(client, { signal: ac.signal, namespace: ns.name, backoff: { minMs: 100, maxMs: 500 } });
    await cache.start();
    expect(names(cache)).toContain("NetworkSwitch/tor1-01");
    await restartApiServer();
    await client.create(device("SOC", "soc-after-restart"));
    await client.delete(ref("NetworkSwitch", "tor1-01"));
    await cache.until(() => names(cache).join() === "SOC/soc-after-restart");
    expect(cache.stats.reconnects + cache.stats.gone).toBeGreaterThan(0);
    ac.abort();
    await cache.stopped();
  });
});
