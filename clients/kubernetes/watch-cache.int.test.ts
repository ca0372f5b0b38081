import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestNamespace, kubeClient, restartApiServer, type TestNamespace } from "../../test/support/kube.ts";
import type { KubeClient } from "./client.ts";
import type { KubeObject } from "./types.ts";
import { WatchCache, type CachedKind } from "./watch-cache.ts";

const names = (c: WatchCache, k: CachedKind): string[] => c.list(k).map((o) => o.metadata.name);

describe("WatchCache against the lab apiserver", () => {
  let client: KubeClient;
  let ns: TestNamespace;
  let kind: CachedKind;
  const cm = (name: string, v = "1"): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: ns.name, labels: { cache: "yes" } }, data: { v } });

  beforeAll(async () => {
    client = kubeClient();
    ns = await createTestNamespace(client, "watch");
    kind = { apiVersion: "v1", kind: "ConfigMap", namespace: ns.name, labelSelector: "cache=yes" };
  });
  afterAll(async () => {
    await ns.cleanup();
    client.close();
  });

  it("lists, then follows adds, updates and deletes", async () => {
    await client.create(cm("a"));
    const ac = new AbortController();
    const cache = new WatchCache(client, { kinds: [kind], signal: ac.signal });
    await cache.start();
    expect(names(cache, kind)).toEqual(["a"]);
    await client.create(cm("b"));
    await client.mergePatch({ apiVersion: "v1", kind: "ConfigMap", namespace: ns.name, name: "a" }, { data: { v: "2" } });
    await cache.until(() => names(cache, kind).join() === "a,b" && (cache.get(kind, ns.name, "a")?.["data"] as { v: string }).v === "2");
    await client.delete({ apiVersion: "v1", kind: "ConfigMap", namespace: ns.name, name: "b" });
    await cache.until(() => names(cache, kind).join() === "a");
    expect(cache.stats.relists).toBe(1);
    ac.abort();
    await cache.stopped();
  });

  it("survives an API server restart and converges on changes made after it", async () => {
    const ac = new AbortController();
    const cache = new WatchCache(client, { kinds: [kind], signal: ac.signal, backoff: { minMs: 100, maxMs: 500 } });
    await cache.start();
    const before = names(cache, kind);
    expect(before).toContain("a");
    await restartApiServer();
    await client.create(cm("after-restart"));
    await client.delete({ apiVersion: "v1", kind: "ConfigMap", namespace: ns.name, name: "a" });
    await cache.until(() => names(cache, kind).includes("after-restart") && !names(cache, kind).includes("a"));
    expect(cache.stats.reconnects + cache.stats.gone).toBeGreaterThan(0);
    const live = await client.list("v1", "ConfigMap", { namespace: ns.name, labelSelector: "cache=yes" });
    expect(names(cache, kind)).toEqual(live.items.map((o) => o.metadata.name).sort());
    ac.abort();
    await cache.stopped();
  });

  it("relists on 410 Gone (resuming from a resourceVersion the server no longer has)", async () => {
    const ac = new AbortController();
    const stale: KubeObject = { ...cm("deleted-long-ago"), metadata: { name: "deleted-long-ago", namespace: ns.name, resourceVersion: "1", labels: { cache: "yes" } } };
    const cache = new WatchCache(client, { kinds: [kind], signal: ac.signal, resume: [{ kind, resourceVersion: "1", items: [stale] }] });
    await cache.start();
    await cache.until(() => cache.stats.gone > 0 && !names(cache, kind).includes("deleted-long-ago"));
    const live = await client.list("v1", "ConfigMap", { namespace: ns.name, labelSelector: "cache=yes" });
    await cache.until(() => names(cache, kind).join() === live.items.map((o) => o.metadata.name).sort().join());
    expect(cache.stats.relists).toBeGreaterThanOrEqual(1);
    await client.create(cm("after-gone"));
    await cache.until(() => names(cache, kind).includes("after-gone"));
    ac.abort();
    await cache.stopped();
  });
});
