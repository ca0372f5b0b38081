/**
 * The lab Kamaji against the real lab kube-apiserver: the upstream TCP CRD installed with only the
 * v1.20 change, a TenantControlPlane served by a real tenant kube-apiserver (its own etcd prefix,
 * address and port), status and admin kubeconfig Secret as Kamaji writes them, Kamaji's version
 * refusals (webhook, also on dry run), a version update, and teardown on delete.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubeConfig } from "@kubernetes/client-node";
import { KubeClient } from "../../clients/kubernetes/index.ts";
import { pidRunning } from "../../lab/kube/proc.ts";
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

interface TcpStatus {
  controlPlaneEndpoint?: string;
  kubeconfig?: { admin?: { secretName?: string } };
  kubernetesResources?: { version?: { status?: string; version?: string } };
}

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

  async function until<T>(what: string, read: () => Promise<T | undefined>): Promise<T> {
    const s = AbortSignal.timeout(90_000);
    for (;;) {
      const v = await read();
      if (v !== undefined) return v;
      if (s.aborted)
        throw new Error(
          `timed out waiting for ${what}; lab errors: ${JSON.stringify([...kamaji.controller.lastErrors()])}`,
        );
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  const status = async (name: string): Promise<TcpStatus | undefined> =>
    (
      (await client.get({ apiVersion: TCP_API_VERSION, kind: TCP_KIND, namespace: ns.name, name })) as
        { status?: TcpStatus } | undefined
    )?.status;

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

  it("runs a real tenant apiserver per TCP: status, admin kubeconfig, version update, teardown on delete", async () => {
    await client.apply(tcp(ns.name, "acme", "v1.30.2"), { fieldManager: "test", signal: signal() });
    const ready = await until("TCP Ready", async () => {
      const s = await status("acme");
      return s?.kubernetesResources?.version?.status === "Ready" ? s : undefined;
    });
    expect(ready.kubernetesResources?.version?.version).toBe("v1.30.2");
    expect(ready.controlPlaneEndpoint).toMatch(/^127\.77\.\d+\.\d+:6443$/);
    expect(ready.kubeconfig?.admin?.secretName).toBe("acme-admin-kubeconfig");
    const secret = (await client.get({
      apiVersion: "v1",
      kind: "Secret",
      namespace: ns.name,
      name: "acme-admin-kubeconfig",
    })) as unknown as { data: Record<string, string>; metadata: { ownerReferences: { kind: string; name: string }[] } };
    expect(Object.keys(secret.data).sort()).toEqual(["admin.conf", "super-admin.conf"]);
    expect(secret.metadata.ownerReferences[0]).toMatchObject({ kind: TCP_KIND, name: "acme" });
    const kc = new KubeConfig();
    kc.loadFromString(Buffer.from(secret.data["admin.conf"] as string, "base64").toString());
    expect(kc.getCurrentCluster()?.server).toBe(`https://${ready.controlPlaneEndpoint}`);
    const tenant = new KubeClient(kc);
    try {
      // The tenant is its own cluster: its namespaces, not the parent's; no TCP CRD in it.
      const nss = (await tenant.list("v1", "Namespace", { signal: signal() })).items.map((i) => i.metadata.name);
      expect(nss).toContain("kube-public");
      expect(nss).not.toContain(ns.name);
      const info = await tenant.get({
        apiVersion: "v1",
        kind: "ConfigMap",
        namespace: "kube-public",
        name: "cluster-info",
      });
      expect(info).toBeDefined();
      // Kamaji's webhook: no downgrade, no skipped minor.
      const down = await client.apply(tcp(ns.name, "acme", "v1.29.0"), { fieldManager: "test", signal: signal() }).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(down?.message).toContain("unable to downgrade a TenantControlPlane from 1.30.0 to 1.29.0");
      const skip = await client.apply(tcp(ns.name, "acme", "v1.32.0"), { fieldManager: "test", signal: signal() }).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(skip?.message).toContain("non-sequential");
      // Upgrade: Upgrading, then Ready on the new version (the tenant apiserver restarted).
      const pidBefore = kamaji.controller.running()[0]?.apiserverPid;
      await client.apply(tcp(ns.name, "acme", "v1.31.1"), { fieldManager: "test", signal: signal() });
      await until("TCP on v1.31.1", async () => {
        const s = await status("acme");
        return s?.kubernetesResources?.version?.status === "Ready" &&
          s.kubernetesResources.version.version === "v1.31.1"
          ? s
          : undefined;
      });
      expect(kamaji.controller.running()[0]?.apiserverPid).not.toBe(pidBefore);
      expect((await tenant.list("v1", "Namespace", { signal: signal() })).items.length).toBeGreaterThan(0);
    } finally {
      tenant.close();
    }
    const [running] = kamaji.controller.running();
    expect(running).toBeDefined();
    await client.delete({ apiVersion: TCP_API_VERSION, kind: TCP_KIND, namespace: ns.name, name: "acme" });
    await until("TCP gone", async () =>
      (await client.get({ apiVersion: TCP_API_VERSION, kind: TCP_KIND, namespace: ns.name, name: "acme" })) ===
      undefined
        ? true
        : undefined,
    );
    expect(pidRunning(running!.apiserverPid, "kube-apiserver")).toBe(false);
    expect(pidRunning(running!.controllerManagerPid, "kube-controller-manager")).toBe(false);
    expect(kamaji.controller.running()).toEqual([]);
    expect(
      await client.get({ apiVersion: "v1", kind: "Secret", namespace: ns.name, name: "acme-admin-kubeconfig" }),
    ).toBeUndefined();
  });
});
