/**
 * The drift cache's informer loop against a scripted API (LIST pages, watch streams, a 410 Gone),
 * so the relist is exercised every time; the integration test (sinks/kubernetes/drift-cache.int.test.ts)
 * runs it against the real kube-apiserver.
 */
import { describe, expect, it } from "vitest";
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import { KubeApiError } from "../../clients/kubernetes/errors.ts";
import type { KubeObject, WatchEvent } from "../../clients/kubernetes/types.ts";
import { ManagedObjectCache } from "./managed-objects.ts";

const MARK = { "app.kubernetes.io/managed-by": "bosun" };
const cm = (name: string, rv: string, value = "v", labels: Record<string, string> = MARK): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: "ns", resourceVersion: rv, labels },
  data: { value },
  status: { big: "not kept" },
});
const ref = (name: string) => ({ apiVersion: "v1", kind: "ConfigMap", namespace: "ns", name });

/** A scripted API: each LIST returns the next list; each watch yields its events, then throws or waits. */
class ScriptedApi {
  lists: { items: KubeObject[]; rv: string }[] = [];
  watches: { events: WatchEvent[]; then: "gone" | "hang" }[] = [];
  readonly calls: string[] = [];

  client(): KubeClient {
    const { lists, watches, calls } = this;
    return {
      mapping: () =>
        Promise.resolve({ group: "", version: "v1", kind: "ConfigMap", resource: "configmaps", namespaced: true }),
      async *listPages(_v: string, _k: string, opts: { labelSelector?: string }) {
        calls.push(`list ${opts.labelSelector}`);
        const next = lists.shift() ?? { items: [], rv: "0" };
        yield { items: next.items, resourceVersion: next.rv };
      },
      async *watch(_v: string, _k: string, opts: { resourceVersion?: string; signal?: AbortSignal }) {
        calls.push(`watch ${opts.resourceVersion}`);
        const w = watches.shift() ?? { events: [], then: "hang" as const };
        for (const e of w.events) yield e;
        if (w.then === "gone") throw new KubeApiError("watch ConfigMap", 410, "Expired", "too old resource version");
        await new Promise((resolve) => opts.signal?.addEventListener("abort", resolve, { once: true }));
      },
    } as unknown as KubeClient;
  }
}

describe("ManagedObjectCache", () => {
  it("lists, follows the watch, and relists when the watch is Gone (410)", async () => {
    const api = new ScriptedApi();
    api.lists = [
      { items: [cm("a", "10"), cm("b", "11"), cm("untracked", "12")], rv: "12" },
      { items: [cm("a", "30", "after-relist")], rv: "30" },
    ];
    api.watches = [
      { events: [{ type: "MODIFIED", object: cm("b", "20", "edited") }], then: "gone" },
      { events: [{ type: "MODIFIED", object: cm("a", "31", "watched-after-relist") }], then: "hang" },
    ];
    const ac = new AbortController();
    const cache = new ManagedObjectCache(api.client(), { signal: ac.signal, backoff: { minMs: 1, maxMs: 1 } });
    cache.track([ref("a"), ref("b")]);
    await cache.follow([{ apiVersion: "v1", kind: "ConfigMap" }], ac.signal);
    // The first list may already be followed by the watch and the relist: wait for the end state.
    await cache.until(() => cache.stats.events === 2);
    expect(cache.stats).toMatchObject({ gone: 1, lists: 2 });
    expect(api.calls).toEqual([
      "list app.kubernetes.io/managed-by=bosun",
      "watch 12",
      "list app.kubernetes.io/managed-by=bosun",
      "watch 30",
    ]);
    // After the relist and the watch from its resourceVersion: b gone (not in the new list), the
    // untracked object never held.
    expect(cache.lookup(ref("a"))?.["data"]).toEqual({ value: "watched-after-relist" });
    expect(cache.lookup(ref("a"))?.["status"]).toBeUndefined();
    expect(cache.lookup(ref("b"))).toBeUndefined();
    expect(cache.size()).toMatchObject({ objects: 1, kinds: 1 });
    ac.abort();
    await cache.stopped();
  });

  it("keeps the newer of a recorded write and a late watch event; a label removal drops the object", async () => {
    const api = new ScriptedApi();
    api.lists = [{ items: [cm("a", "10")], rv: "10" }];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const ac = new AbortController();
    const client = api.client();
    const watch = client.watch.bind(client);
    // The watch delivers an old event after the sink recorded its own newer write, then the label removal.
    (client as { watch: unknown }).watch = async function* (...args: Parameters<KubeClient["watch"]>) {
      await gate;
      yield { type: "MODIFIED", object: cm("a", "15", "stale") } as WatchEvent;
      yield { type: "DELETED", object: cm("a", "21", "unlabelled", {}) } as WatchEvent;
      yield* watch(...args);
    };
    const cache = new ManagedObjectCache(client, { signal: ac.signal });
    cache.track([ref("a")]);
    await cache.follow([{ apiVersion: "v1", kind: "ConfigMap" }], ac.signal);
    cache.record(cm("a", "20", "mine"));
    cache.record(cm("not-tracked", "20"));
    cache.record(cm("a", "19", "older"));
    expect(cache.lookup(ref("a"))?.["data"]).toEqual({ value: "mine" });
    expect(cache.lookup(ref("not-tracked"))).toBeUndefined();
    release();
    await cache.until(() => cache.stats.events === 2);
    expect(cache.lookup(ref("a"))).toBeUndefined();
    ac.abort();
    await cache.stopped();
  });

  it("a kind it cannot list is not synced: lookups miss (the sink GETs) and it retries", async () => {
    const api = new ScriptedApi();
    const ac = new AbortController();
    const client = {
      ...api.client(),
      mapping: () => Promise.reject(new KubeApiError("map", 404, "NoKindMatch", "no kind")),
    } as unknown as KubeClient;
    const cache = new ManagedObjectCache(client, { signal: ac.signal, backoff: { minMs: 1, maxMs: 2 } });
    cache.track([ref("a")]);
    await cache.follow([{ apiVersion: "v1", kind: "ConfigMap" }], ac.signal);
    cache.record(cm("a", "1"));
    expect(cache.lookup(ref("a"))).toBeUndefined();
    await cache.until(() => cache.stats.reconnects >= 2);
    ac.abort();
    await cache.stopped();
  });
});
