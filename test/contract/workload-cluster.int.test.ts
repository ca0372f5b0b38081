/**
 * The sink contract for the workload-cluster backend: its sink writes the WorkloadCluster records (custom resources
 * in Bosun's cluster) and, on delete, tears the cluster down on its management cluster first (here a management
 * cluster without any of the record's objects: the teardown finds nothing and the record goes).
 */
import { KubeConfig } from "@kubernetes/client-node";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { KubeClient } from "../../clients/kubernetes/client.ts";
import { MANAGED_BY_LABEL } from "../../engine/diff/index.ts";
import { createLogger } from "../../engine/log/logger.ts";
import type { JsonObject, ObjectRef } from "../../engine/model/object-ref.ts";
import { loadManifests, waitEstablished } from "../../sinks/kubernetes/index.ts";
import { KubeManagementCluster, workloadClusterBackend } from "../../sinks/workload-cluster/index.ts";
import { createTestNamespace, kubeClient } from "../support/kube.ts";
import { sinkContract } from "./sink-contract.ts";

const LABEL = "bosun.test/contract";
const API = "fleet.bosun.dev/v1alpha1";
const logger = createLogger({ level: "silent" });

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
beforeAll(async () => {
  client = kubeClient();
  down = unreachableClient();
  for (const crd of await loadManifests(
    join(import.meta.dirname, "../../deploy/crds/fleet.bosun.dev_workloadclusters.yaml"),
  )) {
    await client.apply(crd as never, { fieldManager: "bosun-test", force: true });
    await waitEstablished(client, crd.metadata.name);
  }
});
afterAll(() => {
  client.close();
  down.close();
});

sinkContract("workload-cluster", async () => {
  const ns = await createTestNamespace(client, "contractwc");
  const valid = (name: string, value: string): JsonObject => ({
    apiVersion: API,
    kind: "WorkloadCluster",
    metadata: { name, namespace: ns.name, labels: { [LABEL]: "true" } },
    spec: { template: `clusters/${value}.yaml`, variables: { KUBERNETES_VERSION: "v1.30.1" } },
  });
  const backend = (c: KubeClient, selfHeal = true) =>
    workloadClusterBackend({
      config: { managementClusters: [], kvmHosts: [] },
      client: c,
      logger,
      selfHeal: { global: selfHeal },
      stateNamespace: ns.name,
      managementClusters: new Map([["mgmt", new KubeManagementCluster("mgmt", c)]]),
    });
  const edit = (ref: ObjectRef, patch: unknown) => client.mergePatch(ref, patch, { fieldManager: "kubectl-edit" });
  return {
    backend: () => backend(client),
    unreachable: () => backend(down),
    valid,
    invalid: () => valid("Not_A_Name", "x"),
    valueOf: (live) => {
      const t = ((live["spec"] ?? {}) as Record<string, string>)["template"];
      return t === undefined ? undefined : t.replace(/^clusters\/|\.yaml$/g, "");
    },
    outOfBand: {
      create: async (object) => void (await client.create(object)),
      edit: async (ref, value) => void (await edit(ref, { spec: { template: `clusters/${value}.yaml` } })),
      removeMark: async (ref) => void (await edit(ref, { metadata: { labels: { [MANAGED_BY_LABEL]: null } } })),
      delete: async (ref) => void (await client.delete(ref)),
      names: async () => {
        const list = await client.list(API, "WorkloadCluster", { namespace: ns.name, labelSelector: `${LABEL}=true` });
        return list.items.map((o) => o.metadata.name);
      },
    },
    conflict: {
      // Self-heal off: a Git change to a field another manager took is refused by the server, not forced.
      backend: () => backend(client, false),
      takeOver: async (ref, value) => {
        const metadata = { name: ref.name, namespace: ref.namespace };
        const spec = { template: `clusters/${value}.yaml` };
        await client.apply(
          { apiVersion: ref.apiVersion, kind: ref.kind, metadata, spec },
          { fieldManager: "other-controller", force: true },
        );
      },
    },
    cleanup: () => ns.cleanup(),
  };
});
