/**
 * The KVM infrastructure provider end to end on this machine: the lab kube-apiserver (v1.20.2) with the Cluster API
 * CRDs installed unchanged and the KVM CRDs, real libvirt/QEMU (TCG) domains, the provider as a child process. The
 * tests play the CAPI core controllers (they cannot run here): they create Cluster/Machine objects with owner
 * references, the cluster label and the bootstrap data Secret, and set the Cluster's infrastructure readiness.
 */
import { existsSync } from "node:fs";
import { chmod, mkdtemp, readdir, readFile, rm, symlink, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeClient, KubeObject } from "../../clients/kubernetes/index.ts";
import { diskImageInfo } from "../../clients/libvirt/index.ts";
import { domainName } from "../../providers/kvm/index.ts";
import { createTestNamespace, kubeClient, kubeConnection, type TestNamespace } from "../support/kube.ts";
import { specsDir } from "../support/specs.ts";
import {
  condition,
  createCluster,
  createMachine,
  domainsOf,
  ensureLibvirt,
  eventsOf,
  installCrds,
  kvmMachine,
  LibvirtClient,
  metricsText,
  setInfrastructureProvisioned,
  startProvider,
  waitFor,
  type LabLibvirt,
  type ProviderProcess,
} from "./support.ts";
import { loadManifests } from "../../sinks/kubernetes/index.ts";

const INFRA = "infrastructure.cluster.x-k8s.io/v1beta1";
const CAPI = "cluster.x-k8s.io/v1beta2";
const HOST = "lab-hv1";
const SYSTEM_SOCKET = "/var/run/libvirt/libvirt-sock";

let client: KubeClient;
let lab: LabLibvirt;
let ns: TestNamespace;
let stateDir: string;
let sockDir: string;
let sockLink: string;
let provider: ProviderProcess;
let libvirt: LibvirtClient;
const extraProviders: ProviderProcess[] = [];
const extraNamespaces: TestNamespace[] = [];

function providerArgs(namespace: string, uri: string): string[] {
  return [
    "--kubeconfig",
    kubeConnection().kubeconfigPath,
    "--namespace",
    namespace,
    "--libvirt-uri",
    uri,
    "--state-dir",
    stateDir,
    "--boot-kernel",
    lab.kernel,
    "--boot-initrd",
    lab.initrd,
    "--host-name",
    HOST,
    "--max-memory-mib",
    "160",
    "--resync-ms",
    "1000",
  ];
}

const km = (name: string): Promise<KubeObject | undefined> => kvmMachine(client, ns.name, name);
const statusOf = (o: KubeObject | undefined): Record<string, unknown> =>
  (o?.["status"] ?? {}) as Record<string, unknown>;

async function waitReady(name: string, namespace = ns.name): Promise<KubeObject> {
  return waitFor(`KVMMachine ${namespace}/${name} ready`, async () => {
    const o = await kvmMachine(client, namespace, name);
    return statusOf(o)["ready"] === true ? o : undefined;
  });
}

async function waitReason(name: string, reason: string): Promise<KubeObject> {
  return waitFor(`KVMMachine ${name} DomainReady reason ${reason}`, async () => {
    const o = await km(name);
    return condition(o, "DomainReady")?.reason === reason ? o : undefined;
  });
}

beforeAll(async () => {
  client = kubeClient();
  lab = await ensureLibvirt();
  await installCrds(client, AbortSignal.timeout(300_000));
  ns = await createTestNamespace(client, "kvm");
  // QEMU runs as libvirt-qemu: its folders must be traversable.
  stateDir = await mkdtemp("/tmp/bosun-kvm-state-");
  await chmod(stateDir, 0o755);
  // The provider reaches libvirtd through a symlink to its socket: removing the link is "libvirt unavailable".
  sockDir = await mkdtemp("/tmp/bosun-kvm-sock-");
  sockLink = join(sockDir, "libvirt-sock");
  await symlink(SYSTEM_SOCKET, sockLink);
  libvirt = new LibvirtClient({ uri: lab.uri });
  provider = await startProvider([
    ...providerArgs(ns.name, `qemu+unix:///system?socket=${sockLink}`),
    "--domain-type",
    "auto",
    "--kvm-probe-timeout-ms",
    "8000",
  ]);
}, 600_000);

afterAll(async () => {
  await provider?.stop();
  for (const p of extraProviders) await p.kill();
  // Whatever a failed test left: its domains go (the no-leak test asserts there were none).
  for (const n of [ns, ...extraNamespaces].filter(Boolean))
    for (const d of await domainsOf(libvirt, n.name).catch(() => []))
      await libvirt.removeDomain(d.name).catch(() => undefined);
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
  if (sockDir) await rm(sockDir, { recursive: true, force: true });
  for (const n of [ns, ...extraNamespaces].filter(Boolean)) {
    // Finalizers of objects left behind would keep the namespace; drop them first.
    for (const kind of ["KVMMachine", "KVMCluster"])
      for (const o of (await client.list(INFRA, kind, { namespace: n.name }).catch(() => ({ items: [] }))).items)
        await client
          .mergePatch(
            { apiVersion: INFRA, kind, namespace: n.name, name: o.metadata.name },
            { metadata: { finalizers: null } },
          )
          .catch(() => undefined);
    await n.cleanup().catch(() => undefined);
  }
  client?.close();
}, 300_000);

describe("Cluster API CRDs on kube-apiserver v1.20.2", () => {
  it("install unchanged and are served; the server keeps no x-kubernetes-validations (v1.20 has no CEL)", async () => {
    const file = (
      await loadManifests(join(specsDir(), "cluster-api", "cluster.x-k8s.io_clusters.yaml"))
    )[0] as KubeObject;
    const stored = (await client.get({
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      name: "clusters.cluster.x-k8s.io",
    })) as KubeObject;
    const count = (o: unknown): number => (JSON.stringify(o).match(/"x-kubernetes-validations"/g) ?? []).length;
    expect(count(file)).toBe(4);
    expect(count(stored)).toBe(0);
    const versions = (stored["spec"] as { versions: { name: string; served: boolean; storage: boolean }[] }).versions;
    expect(versions.map((v) => [v.name, v.served, v.storage])).toEqual([
      ["v1beta1", true, false],
      ["v1beta2", true, true],
    ]);
  });
});

describe("KVM infrastructure provider", () => {
  it("picks the domain type with a probe boot: qemu (TCG) where /dev/kvm cannot boot Linux", async () => {
    const line = await provider.waitForLine(/domain type chosen by the probe boot/);
    const { domainType, reason } = JSON.parse(line) as { domainType: string; reason: string };
    if (existsSync("/sys/module/kvm_pvm") || !existsSync("/dev/kvm")) expect(domainType).toBe("qemu");
    expect(reason).toMatch(
      domainType === "kvm" ? /printed BOSUN-KVM-BOOT/ : /no \/dev\/kvm|printed nothing|did not start/,
    );
    // The probe domain is gone.
    expect((await libvirt.listDomains()).filter((d) => d.name.startsWith("bosun-kvm-probe-"))).toEqual([]);
    const health = await fetch(`${provider.url}/healthz`);
    expect(health.status).toBe(200);
    const version = (await (await fetch(`${provider.url}/version`)).json()) as Record<string, string>;
    expect(version).toMatchObject({
      provider: expect.stringMatching(/^bosun-kvm-provider /),
      node: process.version,
      domainType,
    });
    expect(version["libvirt"]).toMatch(/9\.|QEMU|daemon/);
  });

  it("waits for the cluster's infrastructure and the bootstrap data, then boots a real domain and reports it", async () => {
    await createCluster(client, ns.name, "c1");
    await createMachine(client, ns.name, "c1", "m1");
    const kvmCluster = await waitFor("KVMCluster c1 ready", async () => {
      const o = await client.get({ apiVersion: INFRA, kind: "KVMCluster", namespace: ns.name, name: "c1" });
      return statusOf(o)["ready"] === true ? o : undefined;
    });
    expect(kvmCluster.metadata.finalizers).toContain("kvmcluster.infrastructure.cluster.x-k8s.io");

    let o = await waitReason("m1", "WaitingForClusterInfrastructure");
    expect(o.metadata.finalizers).toContain("kvmmachine.infrastructure.cluster.x-k8s.io");
    expect(statusOf(o)["ready"]).toBe(false);
    await setInfrastructureProvisioned(client, ns.name, "c1");
    o = await waitReason("m1", "WaitingForBootstrapData");
    expect(await domainsOf(libvirt, ns.name)).toEqual([]);

    // The bootstrap provider writes the Secret and sets dataSecretName.
    await client.create({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "m1-bootstrap", namespace: ns.name },
      data: { value: Buffer.from("#cloud-config\nruncmd: [kubeadm join]\n").toString("base64") },
    });
    await client.mergePatch(
      { apiVersion: CAPI, kind: "Machine", namespace: ns.name, name: "m1" },
      { spec: { bootstrap: { dataSecretName: "m1-bootstrap" } } },
    );
    o = await waitReady("m1");

    const [domain, ...others] = await domainsOf(libvirt, ns.name);
    expect(others).toEqual([]);
    expect(domain).toMatchObject({ state: "running", type: "qemu", hasInterface: false, vcpus: 1 });
    expect(domain?.metadata).toMatchObject({
      namespace: ns.name,
      name: "m1",
      uid: o.metadata.uid,
      cluster: "c1",
      machine: "m1",
    });
    expect((o["spec"] as { providerID: string }).providerID).toBe(`kvm://${HOST}/${domain?.uuid}`);
    const st = statusOf(o);
    expect(st).toMatchObject({
      ready: true,
      initialization: { provisioned: true },
      vmState: "running",
      addresses: [{ type: "Hostname", address: "m1" }],
      domain: { name: domain?.name, uuid: domain?.uuid, type: "qemu", host: HOST },
    });
    expect(st["failureReason"]).toBeUndefined();
    expect(condition(o, "Ready")).toMatchObject({ status: "True" });
    // Disks: qcow2 of the sizes asked for; the config drive attached read-only.
    const disks = domain?.disks ?? [];
    expect(disks.map((d) => [d.device, d.target, d.format])).toEqual([
      ["disk", "vda", "qcow2"],
      ["disk", "vdb", "qcow2"],
      ["cdrom", "hdc", "raw"],
    ]);
    expect((await diskImageInfo(disks[0]?.source as string)).virtualSize).toBe(2 ** 30);
    expect((await diskImageInfo(disks[1]?.source as string)).virtualSize).toBe(512 * 2 ** 20);
    expect(disks[2]).toMatchObject({ readonly: true, source: expect.stringMatching(/cidata\.iso$/) });
    // The guest reads the NoCloud drive: hostname from meta-data, the bootstrap data as user-data.
    const serial = await waitFor(
      "the guest's config-drive line",
      async () => {
        const log = await readFile(domain?.serialLog as string, "utf8").catch(() => "");
        return log.includes("BOSUN-KVM-CIDATA") ? log : undefined;
      },
      180_000,
    );
    expect(serial).toContain("BOSUN-KVM-CIDATA dev=/dev/sr0 hostname=m1 user-data-line1=#cloud-config");
    expect(serial).toMatch(/BOSUN-KVM-DISK vda 1073741824/);

    const events = await eventsOf(client, ns.name, "m1");
    expect(events).toContainEqual(expect.objectContaining({ type: "Normal", reason: "DomainCreated" }));
    const metrics = await metricsText(provider.url);
    for (const m of ["operatorkit_controller_creation_timestamp", "operatorkit_controller_last_reconciled"]) {
      expect(metrics).toMatch(
        new RegExp(`^${m}\\{controller="kvmmachine",kind="KVMMachine",namespace="${ns.name}",name="m1"\\} \\d`, "m"),
      );
      expect(metrics).toMatch(
        new RegExp(`^${m}\\{controller="kvmcluster",kind="KVMCluster",namespace="${ns.name}",name="c1"\\} \\d`, "m"),
      );
    }
    const created = Number(
      new RegExp(`^operatorkit_controller_creation_timestamp\\{[^}]*name="m1"\\} (\\S+)`, "m").exec(metrics)?.[1],
    );
    expect(created).toBe(Date.parse(o.metadata.creationTimestamp as string) / 1000);
  });

  it("a domain stopped, undefined or removed out of band is started, defined again or recreated (same UUID), with Events", async () => {
    const before = await waitReady("m1");
    const id = (before["spec"] as { providerID: string }).providerID;
    const name = (statusOf(before)["domain"] as { name: string }).name;
    const lastReconciled = async (object: string): Promise<number> =>
      Number(
        new RegExp(`^operatorkit_controller_last_reconciled\\{[^}]*name="${object}"\\} (\\S+)`, "m").exec(
          await metricsText(provider.url),
        )?.[1],
      );

    // Stopped (virsh destroy = QEMU killed): started again.
    await libvirt.destroyDomain(name);
    await waitFor("domain running again", async () => (await libvirt.getDomain(name))?.state === "running");
    await waitFor("DomainStopped Event", async () =>
      (await eventsOf(client, ns.name, "m1")).some((e) => e.type === "Warning" && e.reason === "DomainStopped"),
    );

    // Undefined while running (now transient: it would vanish at its next stop): defined again.
    await libvirt.undefineDomain(name);
    await waitFor("domain persistent again", async () => {
      const d = await libvirt.getDomain(name);
      return d?.persistent === true && d.state === "running";
    });
    await waitFor("DomainRecreated Event (undefined)", async () =>
      (await eventsOf(client, ns.name, "m1")).some(
        (e) => e.reason === "DomainRecreated" && e.message.includes("was undefined out of band"),
      ),
    );

    // Removed altogether. The KVMMachine is paused first (and one KVMCluster resync passes, so no reconcile of m1 is
    // in flight), so the provider finds the domain gone, not half-removed.
    const ref = { apiVersion: INFRA, kind: "KVMMachine", namespace: ns.name, name: "m1" };
    await client.mergePatch(ref, { metadata: { annotations: { "cluster.x-k8s.io/paused": "" } } });
    const pausedAt = Date.now() / 1000;
    await waitFor("a resync after the pause", async () => (await lastReconciled("c1")) > pausedAt + 2);
    await libvirt.removeDomain(name);
    expect(await libvirt.getDomain(name)).toBeUndefined();
    await client.mergePatch(ref, { metadata: { annotations: { "cluster.x-k8s.io/paused": null } } });
    await waitFor("domain recreated", async () => (await libvirt.getDomain(name))?.state === "running", 120_000);
    const events = await waitFor("DomainRecreated Event (removed)", async () => {
      const e = await eventsOf(client, ns.name, "m1");
      return e.some((x) => x.reason === "DomainRecreated" && x.message.includes("removed out of band")) ? e : undefined;
    });
    expect(events.find((e) => e.message.includes("removed out of band"))).toMatchObject({ type: "Warning" });
    const after = await waitReady("m1");
    expect((after["spec"] as { providerID: string }).providerID).toBe(id);
    expect((await domainsOf(libvirt, ns.name)).map((d) => [d.name, d.persistent])).toEqual([[name, true]]);
    expect(`kvm://${HOST}/${(await libvirt.getDomain(name))?.uuid}`).toBe(id);
  });

  it("libvirt unavailable: a clear failure reason, a Warning Event, an error metric; recovery when it is back", async () => {
    await unlink(sockLink);
    try {
      await createMachine(client, ns.name, "c1", "m2", { bootstrap: "#cloud-config\n" });
      const o = await waitReason("m2", "LibvirtUnavailable");
      expect(statusOf(o)).toMatchObject({ ready: false, failureReason: "LibvirtUnavailable" });
      expect(statusOf(o)["failureMessage"]).toMatch(
        new RegExp(`^KVMMachine ${ns.name}/m2: libvirt is unavailable: .*Failed to connect socket`),
      );
      expect(condition(o, "Ready")).toMatchObject({ status: "False", severity: "Error", reason: "LibvirtUnavailable" });
      await waitFor("LibvirtUnavailable Event", async () =>
        (await eventsOf(client, ns.name, "m2")).some((e) => e.type === "Warning" && e.reason === "LibvirtUnavailable"),
      );
      expect(await metricsText(provider.url)).toMatch(
        /^bosun_kvm_provider_reconcile_errors_total\{controller="kvmmachine",reason="LibvirtUnavailable"\} [1-9]/m,
      );
    } finally {
      await symlink(SYSTEM_SOCKET, sockLink);
    }
    const o = await waitReady("m2");
    expect(statusOf(o)["failureReason"]).toBeUndefined();
    expect(statusOf(o)["failureMessage"]).toBeUndefined();
    expect(condition(o, "DomainReady")).toMatchObject({ status: "True", reason: "DomainRunning" });
  });

  it("a disk that cannot be created: DiskCreateFailed naming the path, then recovery when the fault clears", async () => {
    await createCluster(client, ns.name, "c2");
    const { kvmMachine: m3 } = await createMachine(client, ns.name, "c2", "m3", { bootstrap: "#cloud-config\n" });
    await waitReason("m3", "WaitingForClusterInfrastructure");
    // A file where the domain's disk folder goes.
    const blocker = join(stateDir, domainName(ns.name, "m3", m3.metadata.uid as string));
    await writeFile(blocker, "not a folder");
    try {
      await setInfrastructureProvisioned(client, ns.name, "c2");
      const o = await waitReason("m3", "DiskCreateFailed");
      expect(statusOf(o)).toMatchObject({ ready: false, failureReason: "DiskCreateFailed" });
      expect(statusOf(o)["failureMessage"]).toContain(
        `cannot create the disks of domain ${blocker.split("/").pop()} in ${blocker}`,
      );
      await waitFor("DiskCreateFailed Event", async () =>
        (await eventsOf(client, ns.name, "m3")).some((e) => e.reason === "DiskCreateFailed"),
      );
      expect(await domainsOf(libvirt, ns.name).then((d) => d.filter((x) => x.metadata?.["name"] === "m3"))).toEqual([]);
    } finally {
      await rm(blocker, { force: true });
    }
    const o = await waitReady("m3");
    expect(statusOf(o)["failureReason"]).toBeUndefined();
  });

  it("the pause annotation and Cluster spec.paused stop reconciliation, also of a deletion", async () => {
    await createCluster(client, ns.name, "c3", { paused: true });
    await setInfrastructureProvisioned(client, ns.name, "c3");
    const { kvmMachine: m4 } = await createMachine(client, ns.name, "c3", "m4", { bootstrap: "#cloud-config\n" });
    // Two resyncs after m4 exists (m1's last_reconciled moves past its creation): m4 was left alone.
    const createdAt = Date.parse(m4.metadata.creationTimestamp as string) / 1000;
    await waitFor("two resyncs after m4 was created", async () => {
      const t = Number(
        new RegExp(`^operatorkit_controller_last_reconciled\\{[^}]*name="m1"\\} (\\S+)`, "m").exec(
          await metricsText(provider.url),
        )?.[1],
      );
      return t > createdAt + 2;
    });
    let o = await km("m4");
    expect(o?.metadata.finalizers ?? []).toEqual([]);
    expect(o?.["status"]).toBeUndefined();
    expect((await domainsOf(libvirt, ns.name)).filter((d) => d.metadata?.["name"] === "m4")).toEqual([]);

    await client.mergePatch(
      { apiVersion: CAPI, kind: "Cluster", namespace: ns.name, name: "c3" },
      { spec: { paused: false } },
    );
    o = await waitReady("m4");
    const name = (statusOf(o)["domain"] as { name: string }).name;

    // Paused by annotation, then deleted: the finalizer holds, the domain stays; deletion_timestamp is exported.
    const ref = { apiVersion: INFRA, kind: "KVMMachine", namespace: ns.name, name: "m4" };
    await client.mergePatch(ref, { metadata: { annotations: { "cluster.x-k8s.io/paused": "" } } });
    await client.delete(ref);
    const metrics = await waitFor("deletion_timestamp of m4", async () => {
      const t = await metricsText(provider.url);
      return /^operatorkit_controller_deletion_timestamp\{controller="kvmmachine",kind="KVMMachine",namespace="[^"]+",name="m4"\} \d/m.test(
        t,
      )
        ? t
        : undefined;
    });
    expect(metrics).toBeTruthy();
    expect((await km("m4"))?.metadata.deletionTimestamp).toBeDefined();
    expect((await libvirt.getDomain(name))?.state).toBe("running");

    await client.mergePatch(ref, { metadata: { annotations: { "cluster.x-k8s.io/paused": null } } });
    await waitFor("m4 gone", async () => (await km("m4")) === undefined);
    expect(await libvirt.getDomain(name)).toBeUndefined();
    expect(existsSync(join(stateDir, name))).toBe(false);
    expect(await metricsText(provider.url)).not.toMatch(/name="m4"/);
  });

  it("a provider SIGKILLed mid-create (domain defined, not started) resumes without a duplicate domain", async () => {
    const ns2 = await createTestNamespace(client, "kvm-crash");
    extraNamespaces.push(ns2);
    const uri = lab.uri;
    const crashing = await startProvider([...providerArgs(ns2.name, uri), "--domain-type", "qemu"], {
      BOSUN_KVM_FAILPOINT: "after-define",
    });
    extraProviders.push(crashing);
    await createCluster(client, ns2.name, "c5");
    await setInfrastructureProvisioned(client, ns2.name, "c5");
    await createMachine(client, ns2.name, "c5", "m5", { bootstrap: "#cloud-config\n" });
    await crashing.waitForLine(/failpoint after-define reached/);
    const defined = await domainsOf(libvirt, ns2.name);
    expect(defined.map((d) => d.state)).toEqual(["shut off"]);
    await crashing.kill();

    const resumed = await startProvider([...providerArgs(ns2.name, uri), "--domain-type", "qemu"]);
    extraProviders.push(resumed);
    const o = await waitReady("m5", ns2.name);
    const domains = await domainsOf(libvirt, ns2.name);
    expect(domains.map((d) => [d.name, d.uuid, d.state])).toEqual([[defined[0]?.name, defined[0]?.uuid, "running"]]);
    expect((o["spec"] as { providerID: string }).providerID).toBe(`kvm://${HOST}/${defined[0]?.uuid}`);

    await client.delete({ apiVersion: INFRA, kind: "KVMMachine", namespace: ns2.name, name: "m5" });
    await waitFor("m5 gone", async () => (await kvmMachine(client, ns2.name, "m5")) === undefined);
    expect(await domainsOf(libvirt, ns2.name)).toEqual([]);
    await resumed.stop();
  });

  it("a KVMMachine moved as clusterctl move does (paused, copied with spec and status, new uid) adopts its domain", async () => {
    const before = await waitReady("m2");
    const domain = (statusOf(before)["domain"] as { name: string; uuid: string }).name;
    const uuid = (statusOf(before)["domain"] as { name: string; uuid: string }).uuid;
    const created = (t: string): number =>
      Number(/^bosun_kvm_provider_domains_created_total (\S+)/m.exec(t)?.[1] ?? "NaN");
    const createdBefore = created(await metricsText(provider.url));
    const cluster = { apiVersion: CAPI, kind: "Cluster", namespace: ns.name, name: "c1" };
    const ref = { apiVersion: INFRA, kind: "KVMMachine", namespace: ns.name, name: "m2" };
    // Move: pause, copy out, remove from the source without its finalizer (the domain must stay), create anew.
    await client.mergePatch(cluster, { metadata: { annotations: { "cluster.x-k8s.io/paused": "" } } });
    await client.mergePatch(ref, { metadata: { finalizers: null } });
    await client.delete(ref);
    await waitFor("m2 gone from the source", async () => (await km("m2")) === undefined);
    expect((await libvirt.getDomain(domain))?.state).toBe("running");
    const copy = await client.create({
      apiVersion: INFRA,
      kind: "KVMMachine",
      metadata: {
        name: "m2",
        namespace: ns.name,
        labels: before.metadata.labels,
        ownerReferences: before.metadata["ownerReferences"],
      },
      spec: before["spec"],
    });
    await client.replaceStatus({ ...copy, status: before["status"] });
    expect(copy.metadata.uid).not.toBe(before.metadata.uid);
    await client.mergePatch(cluster, { metadata: { annotations: { "cluster.x-k8s.io/paused": null } } });
    const unpaused = Date.now() / 1000;
    // Reconciled after the unpause (the metric is set when a reconcile finished).
    await waitFor("the moved m2 reconciled", async () => {
      const t = Number(
        new RegExp(`^operatorkit_controller_last_reconciled\\{[^}]*name="m2"\\} (\\S+)`, "m").exec(
          await metricsText(provider.url),
        )?.[1],
      );
      return t >= unpaused;
    });
    const after = (await km("m2")) as KubeObject;
    expect(after.metadata.finalizers).toContain("kvmmachine.infrastructure.cluster.x-k8s.io");
    expect(statusOf(after)).toMatchObject({ ready: true, vmState: "running", domain: { name: domain, uuid } });
    expect((after["spec"] as { providerID: string }).providerID).toBe(`kvm://${HOST}/${uuid}`);
    expect((await domainsOf(libvirt, ns.name)).filter((d) => d.metadata?.["name"] === "m2").map((d) => d.uuid)).toEqual(
      [uuid],
    );
    expect(created(await metricsText(provider.url))).toBe(createdBefore);
  });

  it("deleting the KVMMachines removes every domain and disk: nothing leaks on the host", async () => {
    const names = (await client.list(INFRA, "KVMMachine", { namespace: ns.name })).items
      .map((o) => o.metadata.name)
      .sort();
    expect(names).toEqual(["m1", "m2", "m3"]);
    for (const n of names) await client.delete({ apiVersion: INFRA, kind: "KVMMachine", namespace: ns.name, name: n });
    await waitFor(
      "all KVMMachines gone",
      async () => (await client.list(INFRA, "KVMMachine", { namespace: ns.name })).items.length === 0,
    );
    expect(await domainsOf(libvirt, ns.name)).toEqual([]);
    // Only the staged boot images remain (the probe's folder and every domain's folder are gone).
    expect(await readdir(stateDir)).toEqual([".boot"]);
    for (const n of names)
      expect(await eventsOf(client, ns.name, n)).toContainEqual(
        expect.objectContaining({ type: "Normal", reason: "DomainDeleted" }),
      );
    expect(await metricsText(provider.url)).toMatch(/^bosun_kvm_provider_domains_deleted_total [1-9]/m);
  });
});
