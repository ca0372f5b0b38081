/**
 * The sink contract on the real kube-apiserver with the watch-fed drift cache, as `bosun serve`
 * runs the Kubernetes backend (app/backends.ts passes the engine's cache). Each `backend()` is an
 * engine (re)start: a new cache, listing from scratch. What happens behind Bosun's back reaches a
 * cache by watch, as it does in the engine, so the world waits until every cache that holds the
 * object has seen the edit before the contract looks (an informer is eventually consistent; the
 * contract is about what the sink does once it has seen it).
 */
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll } from "vitest";
import { KubeClient } from "../../clients/kubernetes/client.ts";
import type { KubeObject } from "../../clients/kubernetes/types.ts";
import { MANAGED_BY_LABEL } from "../../engine/diff/index.ts";
import { createLogger } from "../../engine/log/logger.ts";
import type { JsonObject, ObjectRef } from "../../engine/model/object-ref.ts";
import { kubernetesBackend } from "../../sinks/kubernetes/index.ts";
import { ManagedObjectCache } from "../../sources/kubernetes/managed-objects.ts";
import { createTestNamespace, kubeClient } from "../support/kube.ts";
import { sinkContract } from "./sink-contract.ts";

const LABEL = "bosun.test/contract";
const logger = createLogger({ level: "silent" });

/** A client for an API server that is not there (nothing listens on port 1): every request fails with no answer. */
function unreachableClient(): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "gone", server: "https://127.0.0.1:1", skipTLSVerify: true }],
    users: [{ name: "nobody", token: "none" }],
    contexts: [{ name: "gone", cluster: "gone", user: "nobody" }],
    currentContext: "gone",
  });
  return new KubeClient(kc);
}

let client: KubeClient;
beforeAll(() => {
  client = kubeClient();
});
afterAll(() => {
  client.close();
});

sinkContract("kubernetes with the drift cache", async () => {
  const ns = await createTestNamespace(client, "contract-cached");
  const stop = new AbortController();
  const caches: ManagedObjectCache[] = [];
  const down: KubeClient[] = [];
  const cached = (on: KubeClient): ManagedObjectCache => {
    const cache = new ManagedObjectCache(on, { signal: stop.signal, namespace: ns.name, backoff: { maxMs: 500 } });
    caches.push(cache);
    return cache;
  };
  /** Waits until every cache holding `ref` has a version at least as new as `rv` (or no longer holds it). */
  const seen = async (ref: ObjectRef, rv: string | undefined): Promise<void> => {
    await Promise.all(
      caches.map((c) =>
        c.until(() => {
          const held = c.resourceVersion(ref);
          return held === undefined || (rv !== undefined && Number(held) >= Number(rv));
        }),
      ),
    );
  };
  const valid = (name: string, value: string): JsonObject => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace: ns.name, labels: { [LABEL]: "true" } },
    data: { value },
  });
  const backend = (selfHeal = true) =>
    kubernetesBackend({
      client,
      logger,
      stateNamespace: ns.name,
      selfHeal: { global: selfHeal },
      cache: cached(client),
    });
  const edit = async (ref: ObjectRef, patch: unknown): Promise<void> => {
    const after: KubeObject = await client.mergePatch(ref, patch, { fieldManager: "kubectl-edit" });
    await seen(ref, after.metadata.resourceVersion);
  };
  return {
    backend: () => backend(),
    unreachable: () => {
      const gone = unreachableClient();
      down.push(gone);
      return kubernetesBackend({ client: gone, logger, stateNamespace: ns.name, cache: cached(gone) });
    },
    valid,
    invalid: () => valid("Not_A_Name", "x"),
    valueOf: (live) => ((live["data"] ?? {}) as Record<string, string>)["value"],
    outOfBand: {
      create: async (object) => void (await client.create(object)),
      edit: (ref, value) => edit(ref, { data: { value } }),
      removeMark: (ref) => edit(ref, { metadata: { labels: { [MANAGED_BY_LABEL]: null } } }),
      delete: async (ref) => {
        await client.delete(ref);
        await Promise.all(caches.map((c) => c.until(() => c.resourceVersion(ref) === undefined)));
      },
      names: async () => {
        const list = await client.list("v1", "ConfigMap", { namespace: ns.name, labelSelector: `${LABEL}=true` });
        return list.items.map((o) => o.metadata.name);
      },
    },
    conflict: {
      backend: () => backend(false),
      takeOver: async (ref, value) => {
        const metadata = { name: ref.name, namespace: ref.namespace };
        const body = { apiVersion: ref.apiVersion, kind: ref.kind, metadata, data: { value } };
        const after = await client.apply(body, { fieldManager: "other-controller", force: true });
        await seen(ref, after.metadata.resourceVersion);
      },
    },
    cleanup: async () => {
      stop.abort();
      await Promise.all(caches.map((c) => c.stopped()));
      for (const d of down) d.close();
      await ns.cleanup();
    },
  };
});
