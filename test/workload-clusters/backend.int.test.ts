/**
 * The workload-cluster backend through the real reconcile pass (FleetReconciler → generic pass →
 * WorkloadCluster controller) against two real kube-apiservers with Cluster API's CRDs installed
 * unchanged: the shared lab apiserver (Bosun's own cluster and management cluster `mgmt-a`) and a
 * second one started here (`mgmt-b`). lab/capi stands in for the Cluster API core controllers on
 * both. The KVM provider is not part of this file (test/workload-clusters/e2e.int.test.ts runs the
 * real one with libvirt): `provider()` below writes KVMCluster / KVMMachine status as the
 * provider's contract says (ready, providerID, addresses), nothing else.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubeClient, loadKubeConfig } from "../../clients/kubernetes/index.ts";
import {
  builtinKinds,
  computePlan,
  createLogger,
  dependenciesOf,
  FleetReconciler,
  loadFleet,
  renderPlanText,
  type DesiredState,
  type ObjectStatus,
} from "../../engine/index.ts";
import { moveCluster, moveKinds } from "../../engine/kinds/workload-cluster/move.ts";
import { startKubeEnv, type KubeEnv } from "../../lab/kube/kube-env.ts";
import { CapiLab, installManagementCrds } from "../../lab/capi/index.ts";
import { loadManifests, waitEstablished } from "../../sinks/kubernetes/index.ts";
import { KubeManagementCluster, workloadClusterBackend } from "../../sinks/workload-cluster/index.ts";
import type { WorkloadClusterBackend } from "../../sinks/workload-cluster/index.ts";
import { waitFor } from "../e2e/support.ts";
import { createTestNamespace, kubeClient, type TestNamespace } from "../support/kube.ts";

const root = join(import.meta.dirname, "../..");
const TEMPLATE_PATH = "clusters/templates/cluster-template-kvm.yaml";
const TEMPLATE = readFileSync(join(root, "fleet-repo-example", TEMPLATE_PATH), "utf8");
const CAPI = "cluster.x-k8s.io/v1beta2";
const KVM = "infrastructure.cluster.x-k8s.io/v1beta1";
const enc = new TextEncoder();

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Spec {
  management: string;
  version: string;
  cp: number;
  workers: number;
  template?: string;
  paused?: boolean;
}

describe("workload-cluster backend on two management clusters", () => {
  let a: KubeClient;
  let envB: KubeEnv;
  let b: KubeClient;
  let ns: TestNamespace;
  let state: TestNamespace;
  let labA: CapiLab;
  let labB: CapiLab;
  let backend: WorkloadClusterBackend;
  let reconciler: FleetReconciler;
  let commit = 0;
  const logger = createLogger({ level: "warn" });
  const signal = AbortSignal.timeout(600_000);
  const labErrors: unknown[] = [];
  let lastChanges: { action: string; ref: { kind: string; name: string }; reason: string; error?: unknown }[] = [];

  const files = (spec: Spec | undefined): { path: string; bytes: Uint8Array }[] =>
    spec === undefined
      ? [
          {
            // Deleting the only object of the backend is a mass deletion: the commit opts in.
            path: "bosun.yaml",
            bytes: enc.encode(
              'apiVersion: bosun.dev/v1alpha1\nkind: BosunConfig\nmetadata:\n  name: fleet\n  annotations:\n    bosun.dev/allow-mass-deletion: "true"\n',
            ),
          },
        ]
      : [
          {
            path: "clusters/c1.yaml",
            bytes: enc.encode(`apiVersion: fleet.bosun.dev/v1alpha1
kind: WorkloadCluster
metadata:
  name: c1
  namespace: ${ns.name}${spec.paused ? '\n  annotations:\n    cluster.x-k8s.io/paused: ""' : ""}
spec:
  managementCluster: ${spec.management}
  template: ${TEMPLATE_PATH}
  variables:
    KUBERNETES_VERSION: ${spec.version}
    CONTROL_PLANE_MACHINE_COUNT: ${spec.cp}
    WORKER_MACHINE_COUNT: ${spec.workers}
    WORKER_MACHINE_MEMORY: 256Mi
    VOLUME_SIZE_GB: 1
`),
          },
          { path: TEMPLATE_PATH, bytes: enc.encode(spec.template ?? TEMPLATE) },
        ];
  const desired = (spec: Spec | undefined): DesiredState => {
    const loaded = loadFleet(files(spec));
    if (!loaded.ok) throw new Error(loaded.diagnostics.map((d) => d.message).join("\n"));
    return loaded;
  };
  const pass = async (spec: Spec | undefined): Promise<ObjectStatus | undefined> => {
    commit++;
    const statuses = await reconciler.apply(desired(spec), { commit: `c${commit}`, signal } as never);
    return statuses.find((s) => s.kind === "WorkloadCluster");
  };
  const machines = async (c: KubeClient): Promise<Json[]> =>
    (await c.list(CAPI, "Machine", { namespace: ns.name, labelSelector: "cluster.x-k8s.io/cluster-name=c1" }))
      .items as unknown as Json[];
  const record = async (): Promise<Json | undefined> =>
    (await a.get({
      apiVersion: "fleet.bosun.dev/v1alpha1",
      kind: "WorkloadCluster",
      namespace: ns.name,
      name: "c1",
    })) as Json | undefined;

  /**
   * The KVM provider's side of the contract, written as it would: KVMCluster ready; each KVMMachine
   * whose owner Machine and bootstrap Secret exist gets providerID, ready and an address.
   */
  const provider = async (c: KubeClient): Promise<void> => {
    for (const kc of (await c.list(KVM, "KVMCluster", { namespace: ns.name })).items as unknown as Json[]) {
      if (kc["status"]?.ready !== true)
        await patchStatus(c, kc, { ready: true, initialization: { provisioned: true } });
    }
    for (const m of (await c.list(KVM, "KVMMachine", { namespace: ns.name })).items as unknown as Json[]) {
      if (m["metadata"].deletionTimestamp || m["status"]?.ready === true) continue;
      if (m["metadata"].annotations?.["cluster.x-k8s.io/paused"] !== undefined) continue;
      const name = m["metadata"].name as string;
      await c.mergePatch(
        { apiVersion: KVM, kind: "KVMMachine", namespace: ns.name, name },
        { spec: { providerID: `kvm://lab-host/${ns.name}.${name}` } },
      );
      await patchStatus(c, m, { ready: true, addresses: [{ type: "InternalIP", address: "192.0.2.10" }] });
    }
  };

  beforeAll(async () => {
    a = kubeClient();
    envB = await startKubeEnv({});
    b = new KubeClient(loadKubeConfig({ kubeconfigPath: envB.kubeconfigPath }));
    await installManagementCrds(a, signal);
    await installManagementCrds(b, signal);
    for (const crd of await loadManifests(join(root, "deploy/crds/fleet.bosun.dev_workloadclusters.yaml"))) {
      await a.apply(crd as never, { fieldManager: "bosun-test", force: true });
      await waitEstablished(a, crd.metadata.name);
    }
    ns = await createTestNamespace(a, "wc");
    state = await createTestNamespace(a, "wcstate");
    labA = new CapiLab({ client: a, intervalMs: 300, onError: (e) => labErrors.push(e) }).start();
    labB = new CapiLab({ client: b, intervalMs: 300, onError: (e) => labErrors.push(e) }).start();
    backend = workloadClusterBackend({
      config: { managementClusters: [], kvmHosts: [] },
      client: a,
      logger,
      stateNamespace: state.name,
      managementClusters: new Map([
        ["mgmt-a", new KubeManagementCluster("mgmt-a", a)],
        ["mgmt-b", new KubeManagementCluster("mgmt-b", b)],
      ]),
    });
    reconciler = new FleetReconciler({
      backends: [backend],
      kinds: builtinKinds,
      dependenciesOf,
      logger,
      onPass: (report) => {
        lastChanges = [...report.changes];
      },
    });
  });

  afterAll(async () => {
    await labA?.stop();
    await labB?.stop();
    backend?.close();
    await ns?.cleanup().catch(() => undefined);
    await state?.cleanup().catch(() => undefined);
    b?.close();
    await envB?.stop();
  });

  it("a render the CRDs reject fails with the template's file:line and applies nothing", async () => {
    const broken = TEMPLATE.replace(
      "        maxUnavailable: 0\n",
      "        maxUnavailable: 0\n        maxSurgeTypo: 2\n",
    );
    const status = await pass({ management: "mgmt-a", version: "v1.30.1", cp: 1, workers: 2, template: broken });
    expect(status?.phase).toBe("Failed");
    expect(status?.lastError).toContain(
      `${TEMPLATE_PATH}:117:9: UNKNOWN_FIELD WorkloadCluster ${ns.name}/c1 (clusters/c1.yaml:1): rendered MachineDeployment c1-md-0: spec.rollout.strategy.rollingUpdate.maxSurgeTypo is not a known field`,
    );
    for (const kind of ["Cluster", "MachineDeployment"])
      expect((await a.list(CAPI, kind, { namespace: ns.name })).items).toEqual([]);
    expect((await a.list(KVM, "KVMCluster", { namespace: ns.name })).items).toEqual([]);
    expect((await record())?.["status"]?.phase).toBe("Failed");
    const events = await a.list("v1", "Event", { namespace: ns.name });
    expect(events.items.some((e) => (e as unknown as Json)["reason"] === "InvalidRender")).toBe(true);
  });

  it("a commit creates the cluster: the render is applied, machines come up, status reaches Ready", async () => {
    const spec = { management: "mgmt-a", version: "v1.30.1", cp: 1, workers: 2 };
    await pass(spec);
    const cluster = (await a.get({ apiVersion: CAPI, kind: "Cluster", namespace: ns.name, name: "c1" })) as Json;
    expect(cluster["metadata"].labels["app.kubernetes.io/managed-by"]).toBe("bosun");
    expect(
      cluster["metadata"].managedFields.some((f: Json) => f["manager"] === "bosun" && f["operation"] === "Apply"),
    ).toBe(true);
    const status = await waitFor(
      "cluster c1 Ready",
      async () => {
        await provider(a);
        const s = await pass(spec);
        return s?.phase === "Ready" ? s : undefined;
      },
      90_000,
      300,
      async () => JSON.stringify({ record: (await record())?.["status"], lab: labErrors.slice(-3).map(String) }),
    );
    expect(status.counts).toMatchObject({
      controlPlaneDesired: 1,
      controlPlaneReady: 1,
      workersDesired: 2,
      workersReady: 2,
      workersUpdated: 2,
      machines: 3,
    });
    const ms = await machines(a);
    expect(ms).toHaveLength(3);
    for (const m of ms) {
      // As the Machine controller would make them: owner, cluster label, bootstrap Secret, infra machine, providerID.
      expect(m["metadata"].ownerReferences[0].kind).toMatch(/^(MachineDeployment|KubeadmControlPlane)$/);
      expect(m["spec"].bootstrap.dataSecretName).toBe(`${m["metadata"].name}-bootstrap`);
      expect(
        await a.get({ apiVersion: "v1", kind: "Secret", namespace: ns.name, name: m["spec"].bootstrap.dataSecretName }),
      ).toBeDefined();
      expect(m["spec"].providerID).toBe(`kvm://lab-host/${ns.name}.${m["metadata"].name}`);
      expect(m["status"].phase).toBe("Running");
    }
    const rec = (await record()) as Json;
    expect(rec["status"]).toMatchObject({ managementCluster: "mgmt-a", phase: "Ready", clusterPhase: "Provisioned" });
    expect(rec["status"].machineDeployments[0]).toMatchObject({
      name: "c1-md-0",
      desired: 2,
      readyReplicas: 2,
      updatedReplicas: 2,
      availableReplicas: 2,
    });
    expect(rec["status"].controlPlane).toMatchObject({ kind: "KubeadmControlPlane", desired: 1, readyReplicas: 1 });
    // An unchanged pass writes nothing.
    const before = (await a.get({
      apiVersion: CAPI,
      kind: "MachineDeployment",
      namespace: ns.name,
      name: "c1-md-0",
    })) as Json;
    await pass(spec);
    const after = (await a.get({
      apiVersion: CAPI,
      kind: "MachineDeployment",
      namespace: ns.name,
      name: "c1-md-0",
    })) as Json;
    expect(after["metadata"].generation).toBe(before["metadata"].generation);
  });

  it("bosun plan shows the rendered diff and the machines an upgrade replaces; the upgrade stays within maxSurge 1 / maxUnavailable 0", async () => {
    const next = { management: "mgmt-a", version: "v1.30.2", cp: 1, workers: 3 };
    const plan = await computePlan(
      desired(next),
      { commit: "plan", now: new Date(), backends: [backend], kinds: builtinKinds, dependenciesOf, logger },
      signal,
    );
    const text = renderPlanText(plan);
    expect(plan.hasChanges).toBe(true);
    expect(text).toContain(
      `update MachineDeployment ${ns.name}/c1-md-0: /spec/replicas: 2 → 3; /spec/template/spec/version: v1.30.1 → v1.30.2`,
    );
    expect(text).toContain(`update KubeadmControlPlane ${ns.name}/c1-control-plane: /spec/version: v1.30.1 → v1.30.2`);
    const old = (await machines(a))
      .filter((m) => m["metadata"].labels["cluster.x-k8s.io/deployment-name"] === "c1-md-0")
      .map((m) => m["metadata"].name)
      .sort();
    expect(text).toContain(
      `MachineDeployment c1-md-0 v1.30.1 → v1.30.2 (maxSurge 1, maxUnavailable 0): replaces ${old.join(", ")}; adds 1`,
    );

    let most = 0;
    let fewestReady = Infinity;
    await waitFor(
      "upgrade to v1.30.2 done",
      async () => {
        await provider(a);
        const s = await pass(next);
        const workers = (await machines(a)).filter(
          (m) => m["metadata"].labels["cluster.x-k8s.io/deployment-name"] === "c1-md-0",
        );
        most = Math.max(most, workers.length);
        const ready = workers.filter(
          (m) => m["status"]?.phase === "Running" && !m["metadata"].deletionTimestamp,
        ).length;
        // During the roll, count the old replica target (2) until scaled: never below it.
        fewestReady = Math.min(fewestReady, ready);
        return s?.phase === "Ready" && workers.every((m) => m["spec"].version === "v1.30.2") && workers.length === 3;
      },
      120_000,
      200,
    );
    expect(most).toBeLessThanOrEqual(4); // 3 replicas + maxSurge 1
    expect(fewestReady).toBeGreaterThanOrEqual(2); // never below the ready machines it had (maxUnavailable 0)
    expect((await machines(a)).filter((m) => old.includes(m["metadata"].name))).toEqual([]);
  });

  it("an object a new render leaves out is pruned (only Bosun's)", async () => {
    const without = TEMPLATE.split("---\n")
      .filter((d) => !/^kind: KubeadmConfigTemplate$/m.test(d))
      .join("---\n");
    const foreign = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "not-bosuns", namespace: ns.name, labels: { "cluster.x-k8s.io/cluster-name": "c1" } },
    };
    await a.create(foreign);
    await pass({ management: "mgmt-a", version: "v1.30.2", cp: 1, workers: 3, template: without });
    expect(
      await a.get({
        apiVersion: "bootstrap.cluster.x-k8s.io/v1beta2",
        kind: "KubeadmConfigTemplate",
        namespace: ns.name,
        name: "c1-md-0",
      }),
    ).toBeUndefined();
    expect(await a.get({ apiVersion: "v1", kind: "ConfigMap", namespace: ns.name, name: "not-bosuns" })).toBeDefined();
    await a.delete({ apiVersion: "v1", kind: "ConfigMap", namespace: ns.name, name: "not-bosuns" });
    await pass({ management: "mgmt-a", version: "v1.30.2", cp: 1, workers: 3 });
    expect(
      await a.get({
        apiVersion: "bootstrap.cluster.x-k8s.io/v1beta2",
        kind: "KubeadmConfigTemplate",
        namespace: ns.name,
        name: "c1-md-0",
      }),
    ).toBeDefined();
  });

  it("the pause annotation on the WorkloadCluster stops Bosun's reconciliation (nothing applied), status Paused", async () => {
    const paused = { management: "mgmt-a", version: "v1.30.2", cp: 1, workers: 5, paused: true };
    const status = await pass(paused);
    expect(status?.phase).toBe("Paused");
    const md = (await a.get({
      apiVersion: CAPI,
      kind: "MachineDeployment",
      namespace: ns.name,
      name: "c1-md-0",
    })) as Json;
    expect(md["spec"].replicas).toBe(3);
    expect((await record())?.["status"]?.phase).toBe("Paused");
  });

  it("pivot to mgmt-b: a move interrupted mid-copy finishes on the next pass; every object arrives with its status, owners re-mapped", async () => {
    const spec = { management: "mgmt-b", version: "v1.30.2", cp: 1, workers: 3 };
    expect((await pass(spec.management === "mgmt-b" ? { ...spec, management: "mgmt-a" } : spec))?.phase).toBe("Ready");
    const beforeMachines = await machines(a);
    expect(beforeMachines).toHaveLength(4);
    const beforeCluster = (await a.get({ apiVersion: CAPI, kind: "Cluster", namespace: ns.name, name: "c1" })) as Json;
    const providerIDs = beforeMachines.map((m) => m["spec"].providerID).sort();
    // A first run stops after copying three objects (the engine dying mid-move).
    const stop = new AbortController();
    let copied = 0;
    const loaded = desired(spec);
    const kinds = moveKinds(
      [
        { apiVersion: CAPI, kind: "Cluster" },
        { apiVersion: KVM, kind: "KVMCluster" },
        { apiVersion: KVM, kind: "KVMMachineTemplate" },
        { apiVersion: "controlplane.cluster.x-k8s.io/v1beta2", kind: "KubeadmControlPlane" },
        { apiVersion: CAPI, kind: "MachineDeployment" },
        { apiVersion: "bootstrap.cluster.x-k8s.io/v1beta2", kind: "KubeadmConfigTemplate" },
      ],
      CAPI,
    );
    await expect(
      moveCluster({
        namespace: ns.name,
        name: "c1",
        kinds,
        source: new KubeManagementCluster("mgmt-a", a),
        target: new KubeManagementCluster("mgmt-b", b),
        signal: stop.signal,
        onStep: (step) => {
          if (step.startsWith("copied ") && ++copied === 3) stop.abort(new Error("engine killed"));
        },
      }),
    ).rejects.toThrow();
    expect((await b.list(CAPI, "Cluster", { namespace: ns.name })).items).toHaveLength(1);
    expect(await a.get({ apiVersion: CAPI, kind: "Cluster", namespace: ns.name, name: "c1" })).toBeDefined();
    // The source is paused: its stand-in and provider leave it alone.
    const pausedSource = (await a.get({ apiVersion: CAPI, kind: "Cluster", namespace: ns.name, name: "c1" })) as Json;
    expect(pausedSource["spec"].paused).toBe(true);

    void loaded;
    const status = await pass(spec);
    expect(status?.lastError).toBeUndefined();
    expect((await record())?.["status"]?.managementCluster).toBe("mgmt-b");
    // Nothing of c1 is left on mgmt-a.
    expect(await machines(a)).toEqual([]);
    for (const [v, k] of [
      [CAPI, "Cluster"],
      [CAPI, "MachineDeployment"],
      [KVM, "KVMMachine"],
      [KVM, "KVMCluster"],
    ] as const)
      expect((await a.list(v, k, { namespace: ns.name })).items).toEqual([]);
    // Everything on mgmt-b, with status, and owner references pointing at mgmt-b's UIDs.
    const cluster = (await b.get({ apiVersion: CAPI, kind: "Cluster", namespace: ns.name, name: "c1" })) as Json;
    expect(cluster["status"].phase).toBe(beforeCluster["status"].phase);
    expect(cluster["spec"].paused).toBe(false);
    expect(cluster["metadata"].annotations?.["cluster.x-k8s.io/paused"]).toBeUndefined();
    const after = await machines(b);
    expect(after.map((m) => m["metadata"].name).sort()).toEqual(beforeMachines.map((m) => m["metadata"].name).sort());
    expect(after.map((m) => m["spec"].providerID).sort()).toEqual(providerIDs);
    for (const m of after) {
      expect(m["status"].phase).toBe("Running");
      const owner = m["metadata"].ownerReferences[0];
      const live = (await b.get({
        apiVersion: owner.apiVersion,
        kind: owner.kind,
        namespace: ns.name,
        name: owner.name,
      })) as Json;
      expect(owner.uid).toBe(live["metadata"].uid);
      const infra = (await b.get({
        apiVersion: KVM,
        kind: "KVMMachine",
        namespace: ns.name,
        name: m["metadata"].name,
      })) as Json;
      expect(infra["status"].ready).toBe(true);
      expect(infra["metadata"].ownerReferences[0].uid).toBe(m["metadata"].uid);
    }
    // The cluster keeps working there: it stays Ready (no machine replaced by the move).
    const settled = await waitFor(
      "c1 Ready on mgmt-b",
      async () => {
        const s = await pass(spec);
        return s?.phase === "Ready" ? s : undefined;
      },
      60_000,
      300,
    );
    expect(settled.counts?.["machines"]).toBe(4);
    expect((await machines(b)).map((m) => m["metadata"].uid).sort()).toEqual(
      after.map((m) => m["metadata"].uid).sort(),
    );
  });

  it("deleting the WorkloadCluster deletes its objects on the management cluster, then the record", async () => {
    await waitFor(
      "c1 gone",
      async () => {
        await pass(undefined);
        return (await record()) === undefined;
      },
      90_000,
      500,
      async () =>
        JSON.stringify({
          record: (await record())?.["metadata"],
          changes: lastChanges
            .filter((c) => c.ref.kind === "WorkloadCluster" || c.error)
            .map((c) => `${c.action} ${c.ref.kind}/${c.ref.name}: ${c.reason}`),
          machines: (await machines(b)).map((m) => m["metadata"].name),
        }),
    );
    expect(await machines(b)).toEqual([]);
    expect((await b.list(KVM, "KVMMachine", { namespace: ns.name })).items).toEqual([]);
    expect((await b.list(CAPI, "Cluster", { namespace: ns.name })).items).toEqual([]);
    expect(
      await b.get({ apiVersion: "v1", kind: "ConfigMap", namespace: ns.name, name: "bosun-wc-c1" }),
    ).toBeUndefined();
    expect(labErrors.filter((e) => !String(e).includes("not found"))).toEqual([]);
  });
});

async function patchStatus(c: KubeClient, o: Json, status: Json): Promise<void> {
  const m = await c.mapping(o["apiVersion"], o["kind"]);
  await c.rest.request({
    method: "PATCH",
    path: `/apis/${m.group}/${m.version}/namespaces/${o["metadata"].namespace}/${m.resource}/${o["metadata"].name}/status`,
    contentType: "application/merge-patch+json",
    body: { status },
    subject: "test provider status",
  });
}
