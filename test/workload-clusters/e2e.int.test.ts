/**
 * WorkloadClusters end to end (issue 20): the real CLI (`bosun serve`, `bosun plan`) with the real git
 * server; two real kube-apiservers as management clusters (`mgmt-a` = the shared lab apiserver, which is
 * also Bosun's own cluster; `mgmt-b` started here), Cluster API's CRDs installed unchanged on both; the
 * KVM provider (providers/kvm, part A of the issue) as a child process per management cluster, booting
 * real libvirt/QEMU domains (TCG, no NIC); lab/capi standing in for the Cluster API core controllers
 * (they are Go programs that cannot run here).
 *
 * A commit creates a cluster (one domain per Machine, checked with virsh), a scale commit adds and
 * removes domains, an upgrade commit replaces every machine within maxSurge 1 / maxUnavailable 0, a
 * domain removed by hand is drift (plan, status, Event) that is corrected, a commit moves the cluster to
 * mgmt-b while the engine is SIGKILLed mid-move (the restarted engine finishes it; no domain recreated),
 * and deleting the cluster removes every domain and disk.
 */
import { execFile } from "node:child_process";
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { KubeClient, loadKubeConfig, type KubeObject } from "../../clients/kubernetes/index.ts";
import { LibvirtClient } from "../../clients/libvirt/index.ts";
import { createBareRepo, git, startGitServer, WorkTree, type GitServer } from "../../lab/git-server/index.ts";
import { CapiLab, installManagementCrds } from "../../lab/capi/index.ts";
import { startKubeEnv, type KubeEnv } from "../../lab/kube/kube-env.ts";
import { loadManifests, waitEstablished } from "../../sinks/kubernetes/index.ts";
import {
  domainsOf,
  ensureLibvirt,
  startProvider,
  type LabLibvirt,
  type ProviderProcess,
} from "../kvm-provider/support.ts";
import { createTestNamespace, kubeClient, kubeConnection, type TestNamespace } from "../support/kube.ts";
import { startEngineProcess, waitFor, type EngineProcess } from "../e2e/support.ts";

const root = join(import.meta.dirname, "../..");
const run = promisify(execFile);
const TEMPLATE_PATH = "clusters/templates/cluster-template-kvm.yaml";
const CAPI = "cluster.x-k8s.io/v1beta2";
const KVM = "infrastructure.cluster.x-k8s.io/v1beta1";
const WC = "fleet.bosun.dev/v1alpha1";
const HOST = "lab-hv1";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Spec {
  management: string;
  version: string;
  cp: number;
  workers: number;
}

describe(
  "WorkloadClusters end to end: git → Cluster API → KVM provider → libvirt domains",
  { timeout: 600_000 },
  () => {
    let a: KubeClient;
    let envB: KubeEnv;
    let b: KubeClient;
    let ns: TestNamespace;
    let state: TestNamespace;
    let lab: LabLibvirt;
    let libvirt: LibvirtClient;
    let stateDir: string;
    let providers: ProviderProcess[] = [];
    let labs: CapiLab[] = [];
    const labErrors: string[] = [];
    let server: GitServer;
    let gitRoot: string;
    let tree: WorkTree;
    let engine: EngineProcess | undefined;
    let engineConfig: Record<string, unknown>;
    let engineConfigFile: string;
    let spec: Spec = { management: "mgmt-a", version: "v1.30.1", cp: 1, workers: 1 };

    const wcYaml = (s: Spec): string => `apiVersion: ${WC}
kind: WorkloadCluster
metadata:
  name: c1
  namespace: ${ns.name}
spec:
  managementCluster: ${s.management}
  template: ${TEMPLATE_PATH}
  variables:
    KUBERNETES_VERSION: ${s.version}
    CONTROL_PLANE_MACHINE_COUNT: ${s.cp}
    WORKER_MACHINE_COUNT: ${s.workers}
    CONTROL_PLANE_MACHINE_CPUS: 1
    WORKER_MACHINE_CPUS: 1
    CONTROL_PLANE_MACHINE_MEMORY: 160Mi
    WORKER_MACHINE_MEMORY: 160Mi
    CONTROL_PLANE_VOLUME_SIZE_GB: 1
    CONTROL_PLANE_DOCKER_VOLUME_SIZE_GB: 1
    VOLUME_SIZE_GB: 1
    DOCKER_VOLUME_SIZE_GB: 1
`;
    const push = async (s: Spec | undefined, message: string): Promise<void> => {
      if (s) spec = s;
      await tree.commitAndPush("main", { "clusters/c1.yaml": s ? wcYaml(s) : null }, message);
    };
    const record = async (): Promise<Json | undefined> =>
      (await a.get({ apiVersion: WC, kind: "WorkloadCluster", namespace: ns.name, name: "c1" })) as Json | undefined;
    const client = (s: Spec = spec): KubeClient => (s.management === "mgmt-a" ? a : b);
    const machines = async (c: KubeClient = client()): Promise<Json[]> =>
      (await c.list(CAPI, "Machine", { namespace: ns.name, labelSelector: "cluster.x-k8s.io/cluster-name=c1" }))
        .items as unknown as Json[];
    const kvmMachines = async (c: KubeClient = client()): Promise<Json[]> =>
      (await c.list(KVM, "KVMMachine", { namespace: ns.name })).items as unknown as Json[];
    const domains = async () => domainsOf(libvirt, ns.name);
    const virsh = async (...args: string[]): Promise<string> =>
      (await run("virsh", ["-c", lab.uri, "-q", ...args])).stdout.trim();
    const explain = async (): Promise<string> =>
      JSON.stringify({
        record: (await record())?.["status"],
        machines: (await machines().catch(() => [])).map((m) => [m["metadata"].name, m["status"]?.phase]),
        domains: (await domains().catch(() => [])).map((d) => [d.name, d.state]),
        lab: labErrors.slice(-3),
        engine: engine
          ?.output()
          .split("\n")
          .filter((l) => /"level":(40|50)/.test(l))
          .slice(-3),
      });
    /** Ready for `s` on its management cluster: every machine Running at its version, one running domain each. */
    const settled = async (what: string, s: Spec, timeoutMs = 240_000): Promise<Json[]> =>
      waitFor(
        what,
        async () => {
          const r = await record();
          if (r?.["status"]?.phase !== "Ready" || r["status"].managementCluster !== s.management) return undefined;
          if (r["status"].observedCommit === undefined) return undefined;
          const ms = await machines(client(s));
          if (ms.length !== s.cp + s.workers || ms.some((m) => m["spec"].version !== s.version)) return undefined;
          if (ms.some((m) => m["metadata"].deletionTimestamp || m["status"]?.phase !== "Running")) return undefined;
          const ds = await domains();
          return ds.length === ms.length && ds.every((d) => d.state === "running") ? ms : undefined;
        },
        timeoutMs,
        500,
        explain,
      );

    beforeAll(async () => {
      a = kubeClient();
      lab = await ensureLibvirt();
      libvirt = new LibvirtClient({ uri: lab.uri });
      envB = await startKubeEnv({});
      b = new KubeClient(loadKubeConfig({ kubeconfigPath: envB.kubeconfigPath }));
      const signal = AbortSignal.timeout(300_000);
      await installManagementCrds(a, signal);
      await installManagementCrds(b, signal);
      for (const crd of await loadManifests(join(root, "deploy/crds/fleet.bosun.dev_workloadclusters.yaml"))) {
        await a.apply(crd as never, { fieldManager: "bosun-test", force: true });
        await waitEstablished(a, crd.metadata.name);
      }
      ns = await createTestNamespace(a, "wce2e");
      state = await createTestNamespace(a, "wce2estate");
      // QEMU runs as libvirt-qemu: the state folder must be traversable. Both providers share it (one host).
      stateDir = await mkdtemp("/tmp/bosun-wc-state-");
      await chmod(stateDir, 0o755);
      providers = [await startProvider(providersArgsFor(0)), await startProvider(providersArgsFor(1))];
      labs = [a, b].map((c) =>
        new CapiLab({ client: c, intervalMs: 500, onError: (e) => labErrors.push(String(e)) }).start(),
      );

      gitRoot = await mkdtemp(join(tmpdir(), "bosun-wc-git-"));
      server = await startGitServer({ root: gitRoot });
      await createBareRepo(gitRoot, "fleet");
      tree = await WorkTree.open(`${server.url}/fleet.git`);
      await tree.commitAndPush(
        "main",
        {
          "bosun.yaml": `apiVersion: bosun.dev/v1alpha1
kind: BosunConfig
metadata:
  name: fleet
  annotations:
    bosun.dev/allow-mass-deletion: "true"
paths:
  exclude: ["clusters/templates/**"]
status:
  minIntervalSeconds: 1
`,
          [TEMPLATE_PATH]: await readFile(join(root, "fleet-repo-example", TEMPLATE_PATH), "utf8"),
          "clusters/c1.yaml": wcYaml(spec),
        },
        "workload cluster c1 on mgmt-a",
      );
      engineConfig = {
        git: {
          repo: {
            url: `${server.url}/fleet.git`,
            ref: "main",
            mirrorDir: await mkdtemp(join(tmpdir(), "bosun-wc-mirror-")),
          },
          poll: { intervalMs: 1000, jitter: 0.1 },
        },
        kubernetes: { kubeconfig: kubeConnection().kubeconfigPath, qps: 100, burst: 200, stateNamespace: state.name },
        engine: { requeueMs: 1000 },
        listen: { host: "127.0.0.1", port: 0 },
        backends: {
          workloadClusters: {
            managementClusters: [
              { name: "mgmt-a", kubeconfig: kubeConnection().kubeconfigPath },
              // Slow on purpose: the move takes seconds, so the test can kill the engine in the middle of it.
              { name: "mgmt-b", kubeconfig: envB.kubeconfigPath, qps: 4 },
            ],
            kvmHosts: [{ name: HOST, uri: lab.uri }],
          },
        },
      };
      engineConfigFile = join(await mkdtemp(join(tmpdir(), "bosun-wc-config-")), "engine.yaml");
      await writeFile(engineConfigFile, stringify(engineConfig));
      engine = await startEngineProcess(engineConfig);
    }, 900_000);

    afterEach((ctx) => {
      if (ctx.task.result?.state === "fail" && engine)
        process.stderr.write(engine.output().split("\n").slice(-40).join("\n"));
    });

    afterAll(async () => {
      await engine?.kill("SIGTERM");
      for (const l of labs) await l.stop();
      for (const p of providers) await p.stop();
      // Whatever a failed test left: its domains go (the delete test asserts there were none).
      if (libvirt && ns)
        for (const d of await domains().catch(() => [])) await libvirt.removeDomain(d.name).catch(() => undefined);
      if (stateDir) await rm(stateDir, { recursive: true, force: true });
      for (const c of [a, b].filter(Boolean))
        for (const kind of ["KVMMachine", "KVMCluster"])
          for (const o of (
            await c.list(KVM, kind, { namespace: ns?.name }).catch(() => ({ items: [] as KubeObject[] }))
          ).items)
            await c
              .mergePatch(
                { apiVersion: KVM, kind, namespace: ns.name, name: o.metadata.name },
                { metadata: { finalizers: null } },
              )
              .catch(() => undefined);
      await ns?.cleanup().catch(() => undefined);
      await state?.cleanup().catch(() => undefined);
      await server?.stop();
      if (gitRoot) await rm(gitRoot, { recursive: true, force: true });
      const mirror = (engineConfig?.["git"] as { repo?: { mirrorDir?: string } } | undefined)?.repo?.mirrorDir;
      if (mirror) await rm(mirror, { recursive: true, force: true });
      if (engineConfigFile) await rm(dirname(engineConfigFile), { recursive: true, force: true });
      await tree?.dispose();
      b?.close();
      await envB?.stop();
    });

    it("a commit creates the cluster: one real domain per Machine (virsh), providerID/ready/addresses reported, status Ready in Git", async () => {
      const ms = await settled("c1 Ready on mgmt-a", spec);
      const ds = await domains();
      expect(ds).toHaveLength(2);
      // Each domain has its disks in the provider's state folder (the delete test checks they go).
      expect((await readdir(stateDir)).filter((d) => d.startsWith("kvm-")).sort()).toEqual(
        ds.map((d) => d.name).sort(),
      );
      for (const m of ms) {
        const infra = (await a.get({
          apiVersion: KVM,
          kind: "KVMMachine",
          namespace: ns.name,
          name: m["spec"].infrastructureRef.name,
        })) as Json;
        expect(infra["status"].ready).toBe(true);
        const domain = infra["status"].domain.name as string;
        expect(await virsh("domstate", domain)).toBe("running");
        const uuid = await virsh("domuuid", domain);
        expect(m["spec"].providerID).toBe(`kvm://${HOST}/${uuid}`);
        expect(infra["spec"].providerID).toBe(m["spec"].providerID);
        expect(m["status"].addresses).toEqual(infra["status"].addresses);
        expect(m["status"].addresses.length).toBeGreaterThan(0);
        const xml = await virsh("dumpxml", domain);
        expect(xml).not.toContain("<interface"); // no NIC
      }
      const r = (await record()) as Json;
      expect(r["status"]).toMatchObject({ managementCluster: "mgmt-a", phase: "Ready", clusterPhase: "Provisioned" });
      const file = await waitFor(
        "status branch has c1 Ready",
        async () => {
          const text = await git([
            "--git-dir",
            join(gitRoot, "fleet.git"),
            "show",
            `bosun/status:objects/WorkloadCluster/${ns.name}/c1.yaml`,
          ]);
          const doc = parse(text) as Json;
          return doc["phase"] === "Ready" ? doc : undefined;
        },
        60_000,
      );
      expect(file["counts"]).toMatchObject({ controlPlaneReady: 1, workersReady: 1, machines: 2 });
    });

    it("a scale commit adds a domain, another removes one (its disks too)", async () => {
      await push({ ...spec, workers: 2 }, "scale workers to 2");
      await settled("3 machines", spec);
      expect(await domains()).toHaveLength(3);
      const before = new Set((await domains()).map((d) => d.name));
      await push({ ...spec, workers: 1 }, "scale workers to 1");
      await settled("2 machines", spec);
      const after = await domains();
      expect(after).toHaveLength(2);
      const removed = [...before].filter((n) => !after.some((d) => d.name === n));
      expect(removed).toHaveLength(1);
      expect((await readdir(stateDir)).filter((d) => removed.includes(d))).toEqual([]);
    });

    it("an upgrade commit replaces every machine within maxSurge 1 / maxUnavailable 0", async () => {
      const old = (await machines()).map((m) => m["metadata"].name as string);
      const oldDomains = (await domains()).map((d) => d.uuid);
      await push({ ...spec, version: "v1.30.2" }, "upgrade to v1.30.2");
      let most = 0;
      let fewestRunning = Infinity;
      await waitFor(
        "upgrade done",
        async () => {
          const ms = (await machines()).filter((m) => !m["metadata"].deletionTimestamp);
          for (const owner of ["c1-control-plane", "c1-md-0"]) {
            const mine = ms.filter((m) => m["metadata"].name.startsWith(`${owner}-`));
            most = Math.max(most, mine.length);
            fewestRunning = Math.min(fewestRunning, mine.filter((m) => m["status"]?.phase === "Running").length);
          }
          const r = await record();
          return (
            r?.["status"]?.phase === "Ready" &&
            ms.length === 2 &&
            ms.every((m) => m["spec"].version === "v1.30.2" && m["status"]?.phase === "Running")
          );
        },
        300_000,
        300,
        explain,
      );
      await settled("upgraded", spec);
      expect(most).toBeLessThanOrEqual(2); // 1 replica + maxSurge 1, per owner
      expect(fewestRunning).toBeGreaterThanOrEqual(1); // maxUnavailable 0
      expect((await machines()).some((m) => old.includes(m["metadata"].name))).toBe(false);
      expect((await domains()).some((d) => oldDomains.includes(d.uuid))).toBe(false);
    });

    it("a domain removed by hand is drift: bosun plan and the status show it, the provider is asked to recreate it", async () => {
      // Stop mgmt-a's provider so that only Bosun can notice (the provider would also find it on its resync).
      await providers[0]?.stop();
      const worker = (await kvmMachines()).find((m) => m["metadata"].name.startsWith("c1-md-0-")) as Json;
      const domain = worker["status"].domain.name as string;
      await virsh("destroy", domain);
      await virsh("undefine", domain);
      const dir = await mkdtemp(join(tmpdir(), "bosun-wc-plan-"));
      try {
        await git(["clone", "-q", `${server.url}/fleet.git`, dir]);
        const out = await run(process.execPath, [
          join(root, "bin/bosun.mjs"),
          "plan",
          dir,
          "--kubeconfig",
          kubeConnection().kubeconfigPath,
          "--config",
          engineConfigFile,
        ]).catch((e: { stdout?: string; code?: number }) => ({ stdout: e.stdout ?? "", code: e.code }));
        expect(out.stdout).toContain(`drift Domain ${HOST}/${domain}: /${worker["metadata"].name}: missing → running`);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      const drifted = await waitFor(
        "drift in status",
        async () => {
          const d = (await record())?.["status"]?.domainDrift as Json[] | undefined;
          return d?.some((x) => x["domain"] === domain && x["live"] === "missing") ? d : undefined;
        },
        60_000,
        500,
        explain,
      );
      expect(drifted).toHaveLength(1);
      const annotated = (await a.get({
        apiVersion: KVM,
        kind: "KVMMachine",
        namespace: ns.name,
        name: worker["metadata"].name,
      })) as Json;
      expect(annotated["metadata"].annotations["bosun.dev/reconcile-requested"]).toBeDefined();
      const events = (await a.list("v1", "Event", { namespace: ns.name })).items as unknown as Json[];
      expect(events.some((e) => e["reason"] === "DomainDrift" && String(e["message"]).includes(domain))).toBe(true);
      // The provider comes back and recreates it (same UUID): the drift clears.
      providers[0] = await startProvider(providersArgsFor(0));
      await waitFor(
        "drift corrected",
        async () =>
          ((await record())?.["status"]?.domainDrift as Json[] | undefined)?.length === 0 &&
          (await virsh("domstate", domain)) === "running",
        180_000,
        500,
        explain,
      );
      expect(await virsh("domuuid", domain)).toBe(worker["status"].domain.uuid);
    });

    it("the pause annotation stops reconciliation: a paused machine's stopped domain stays stopped until unpaused", async () => {
      const worker = (await kvmMachines()).find((m) => m["metadata"].name.startsWith("c1-md-0-")) as Json;
      const ref = { apiVersion: KVM, kind: "KVMMachine", namespace: ns.name, name: worker["metadata"].name as string };
      const domain = worker["status"].domain.name as string;
      await a.mergePatch(ref, { metadata: { annotations: { "cluster.x-k8s.io/paused": "" } } });
      await virsh("destroy", domain);
      // Bosun sees the stopped domain as drift and asks for a reconcile (a watch event the provider gets) ...
      await waitFor(
        "drift of the stopped domain",
        async () =>
          ((await record())?.["status"]?.domainDrift as Json[] | undefined)?.some(
            (d) => d["domain"] === domain && d["live"] === "shut off",
          ),
        60_000,
        500,
        explain,
      );
      const requested = (await a.get(ref)) as Json;
      expect(requested["metadata"].annotations["bosun.dev/reconcile-requested"]).toBeDefined();
      // ... and the next pass still finds it stopped: the paused provider left it alone.
      const passes = (): number => (engine?.output().match(/"msg":"pass done"/g) ?? []).length;
      const seen = passes();
      await waitFor("two more engine passes", async () => passes() >= seen + 2, 60_000, 250);
      expect(await virsh("domstate", domain)).toBe("shut off");
      await a.mergePatch(ref, { metadata: { annotations: { "cluster.x-k8s.io/paused": null } } });
      await waitFor(
        "domain started again",
        async () => (await virsh("domstate", domain)) === "running",
        120_000,
        500,
        explain,
      );
      await settled("Ready again", spec);
    });

    it("a commit moves the cluster to mgmt-b; the engine SIGKILLed mid-move finishes it on restart; no domain recreated", async () => {
      const before = await domains();
      const beforeMachines = await machines(a);
      await push({ ...spec, management: "mgmt-b" }, "move c1 to mgmt-b");
      // Kill the engine once the move has copied its first object to mgmt-b.
      await waitFor("move started", async () => /move: copied /.test(engine?.output() ?? ""), 120_000, 100, explain);
      await engine?.kill("SIGKILL");
      const onA = (await machines(a)).length + (await a.list(CAPI, "Cluster", { namespace: ns.name })).items.length;
      const onB = (await b.list(CAPI, "Cluster", { namespace: ns.name })).items.length;
      expect(onB).toBe(1); // the Cluster is copied first
      expect(onA).toBeGreaterThan(0); // and the source still holds objects: the move was cut in the middle
      engine = await startEngineProcess(engineConfig);
      const ms = await settled("c1 Ready on mgmt-b", spec, 300_000);
      expect(ms.map((m) => m["metadata"].name).sort()).toEqual(beforeMachines.map((m) => m["metadata"].name).sort());
      expect(await machines(a)).toEqual([]);
      expect((await a.list(CAPI, "Cluster", { namespace: ns.name })).items).toEqual([]);
      expect((await a.list(KVM, "KVMMachine", { namespace: ns.name })).items).toEqual([]);
      // Same domains, same UUIDs, never stopped: none recreated.
      const after = await domains();
      expect(after.map((d) => [d.name, d.uuid]).sort()).toEqual(before.map((d) => [d.name, d.uuid]).sort());
      for (const m of ms) {
        expect(m["status"].phase).toBe("Running");
        const owner = m["metadata"].ownerReferences[0];
        const live = (await b.get({
          apiVersion: owner.apiVersion,
          kind: owner.kind,
          namespace: ns.name,
          name: owner.name,
        })) as Json;
        expect(owner.uid).toBe(live["metadata"].uid);
      }
      const created = (await b.list("v1", "Event", { namespace: ns.name })).items as unknown as Json[];
      expect(created.filter((e) => e["reason"] === "DomainCreated" || e["reason"] === "DomainRecreated")).toEqual([]);
      expect((await record())?.["status"]?.managementCluster).toBe("mgmt-b");
    });

    it("deleting the WorkloadCluster removes every domain and disk (no leak on the host)", async () => {
      await push(undefined, "delete c1");
      await waitFor(
        "c1 and its domains gone",
        async () => (await record()) === undefined && (await domains()).length === 0,
        240_000,
        1000,
        explain,
      );
      expect(await machines(b)).toEqual([]);
      expect((await b.list(KVM, "KVMMachine", { namespace: ns.name })).items).toEqual([]);
      expect((await readdir(stateDir)).filter((d) => d.startsWith("kvm-"))).toEqual([]);
      expect(labErrors.filter((e) => !/not found|NotFound|404|409/.test(e))).toEqual([]);
    });

    function providersArgsFor(i: number): string[] {
      const kubeconfig = i === 0 ? kubeConnection().kubeconfigPath : envB.kubeconfigPath;
      return [
        ...["--kubeconfig", kubeconfig, "--namespace", ns.name, "--libvirt-uri", lab.uri, "--state-dir", stateDir],
        ...["--boot-kernel", lab.kernel, "--boot-initrd", lab.initrd, "--host-name", HOST],
        ...["--max-memory-mib", "160", "--resync-ms", "2000", "--domain-type", "qemu"],
      ];
    }
  },
);
