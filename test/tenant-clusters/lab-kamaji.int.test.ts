/**
 * The lab Kamaji against the real lab kube-apiserver: the upstream TCP CRD installed with only the
 * v1.20 change, and Kamaji's version refusals (webhook, also on dry run). The tenant control planes it
 * runs (a real kube-apiserver per TCP, status, admin kubeconfig Secret, upgrade, teardown) are checked
 * end to end in tenant-clusters.int.test.ts, where workers join them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeClient } from "../../clients/kubernetes/index.ts";
import { startLabKamaji, TCP_API_VERSION, TCP_KIND, type RunningLabKamaji } from "../../lab/kamaji/index.ts";
import { createTestNamespace, kubeClient, kubeConnection, type TestNamespace } from "../support/kube.ts";

const tcp = (namespace: string, name: string, version: string): Record<string, unknown> => ({
  apiVersion: TCP_API_VERSION,
  kind: TCP_KIND,
  metadata: { name, namespace },
  spec: {
    controlPlane: { deployment: { replicas: 2 }, service: { serviceType: "LoadBalancer" } },
    kubernetes: { version, kubelet: { cgroupfs: "systemd" } },
    networkProfile: { port: 6443 },
    addons: { coreDNS: {}, kubeProxy: {} },
  },
});

describe("lab Kamaji", () => {
  let client: KubeClient;
  let ns: TestNamespace;
  let kamaji: RunningLabKamaji;
  const signal = (): AbortSignal => AbortSignal.timeout(60_000);

  beforeAll(async () => {
    client = kubeClient();
    ns = await createTestNamespace(client, "kamaji");
    kamaji = await startLabKamaji({ kube: kubeConnection(), pollMs: 200 });
  });
  afterAll(async () => {
    await kamaji?.stop();
    await ns?.cleanup();
    client?.close();
  });

  it('installs the upstream CRD with only x-kubernetes-validations and default: "" removed', () => {
    expect(kamaji.crd.removed.validations).toBeGreaterThan(0);
    expect(kamaji.crd.removed.emptyDefaults).toBeGreaterThan(0);
    expect(JSON.stringify(kamaji.crd.crd)).not.toContain("x-kubernetes-validations");
  });

  it("refuses versions Kamaji refuses, on create and on dry run, creating nothing", async () => {
    for (const [version, msg] of [
      ["v1.99.0", "greater than the supported one"],
      ["1.30", "unable to parse the desired Kubernetes version"],
    ] as const) {
      for (const dryRun of [true, false]) {
        const err = await client
          .apply(tcp(ns.name, "refused", version), { fieldManager: "test", dryRun, signal: signal() })
          .then(
            () => undefined,
            (e: unknown) => e as Error,
          );
        expect(err?.message).toContain('admission webhook "vtenantcontrolplane.kb.io" denied the request');
        expect(err?.message).toContain(msg);
      }
    }
    expect(
      await client.get({ apiVersion: TCP_API_VERSION, kind: TCP_KIND, namespace: ns.name, name: "refused" }),
    ).toBeUndefined();
  });
});
