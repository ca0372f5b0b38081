import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll } from "vitest";
import { KubeClient } from "../../clients/kubernetes/client.ts";
import { MANAGED_BY_LABEL } from "../../engine/diff/index.ts";
import { createLogger } from "../../engine/log/logger.ts";
import type { JsonObject, ObjectRef } from "../../engine/model/object-ref.ts";
import { kubernetesBackend } from "../../sinks/kubernetes/index.ts";
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
let down: KubeClient;
beforeAll(() => {
  client = kubeClient();
  down = unreachableClient();
});
afterAll(() => {
  client.close();
  down.close();
});

sinkContract("kubernetes", async () => {
  const ns = await createTestNamespace(client, "contract");
  const valid = (name: string, value: string): JsonObject => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace: ns.name, labels: { [LABEL]: "true" } },
    data: { value },
  });
  // The inventory ConfigMap goes to the test's namespace too: each test has its own.
  const backend = (selfHeal = true) =>
    kubernetesBackend({ client, logger, stateNamespace: ns.name, selfHeal: { global: selfHeal } });
  const edit = (ref: ObjectRef, patch: unknown) => client.mergePatch(ref, patch, { fieldManager: "kubectl-edit" });
  return {
    backend: () => backend(),
    unreachable: () => kubernetesBackend({ client: down, logger, stateNamespace: ns.name }),
    valid,
    invalid: () => valid("Not_A_Name", "x"),
    valueOf: (live) => ((live["data"] ?? {}) as Record<string, string>)["value"],
    outOfBand: {
      create: async (object) => void (await client.create(object)),
      edit: async (ref, value) => void (await edit(ref, { data: { value } })),
      removeMark: async (ref) => void (await edit(ref, { metadata: { labels: { [MANAGED_BY_LABEL]: null } } })),
      delete: async (ref) => void (await client.delete(ref)),
      names: async () => {
        const list = await client.list("v1", "ConfigMap", { namespace: ns.name, labelSelector: `${LABEL}=true` });
        return list.items.map((o) => o.metadata.name);
      },
    },
    conflict: {
      // Self-heal off: a Git change to a field another manager took is refused by the server, not forced.
      backend: () => backend(false),
      takeOver: async (ref, value) => {
        const metadata = { name: ref.name, namespace: ref.namespace };
        const body = { apiVersion: ref.apiVersion, kind: ref.kind, metadata, data: { value } };
        await client.apply(body, { fieldManager: "other-controller", force: true });
      },
    },
    cleanup: () => ns.cleanup(),
  };
});
