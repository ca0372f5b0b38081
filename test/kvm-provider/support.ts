/**
 * Test support for the KVM provider's integration tests: libvirt installed and started by the lab scripts, the Cluster
 * API CRDs (unchanged, from ../shared/specs) and the KVM CRDs installed, the provider as a real child process
 * (bin/bosun-kvm-provider.mjs), CAPI objects created as the core controllers would, and waits.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import type { KubeClient, KubeObject } from "../../clients/kubernetes/index.ts";
import { LibvirtClient, type DomainInfo } from "../../clients/libvirt/index.ts";
import { KubernetesSink, loadManifests, waitEstablished } from "../../sinks/kubernetes/index.ts";
import { specsDir } from "../support/specs.ts";

const run = promisify(execFile);
const SETPRIV = "/usr/bin/setpriv";
export const REPO = resolve(import.meta.dirname, "../..");

export interface LabLibvirt {
  readonly uri: string;
  readonly kernel: string;
  readonly initrd: string;
}

/** lab/libvirt/install.sh (cached) and start.sh (idempotent). */
export async function ensureLibvirt(): Promise<LabLibvirt> {
  const install = await run("bash", [join(REPO, "lab/libvirt/install.sh")], { maxBuffer: 1 << 20 });
  const start = await run("bash", [join(REPO, "lab/libvirt/start.sh")], { maxBuffer: 1 << 20 });
  const kv = (text: string, key: string): string => {
    const m = new RegExp(`^${key}=(.*)$`, "m").exec(text);
    if (!m) throw new Error(`lab/libvirt scripts printed no ${key}`);
    return m[1] as string;
  };
  return { uri: kv(start.stdout, "URI"), kernel: kv(install.stdout, "KERNEL"), initrd: kv(install.stdout, "INITRD") };
}

/** The CAPI core CRDs exactly as shipped upstream, and the KVM provider's CRDs; waits until they are served. */
export async function installCrds(client: KubeClient, signal: AbortSignal): Promise<KubeObject[]> {
  const capiDir = join(specsDir(), "cluster-api");
  const capi = (await readdir(capiDir)).filter((f) => f.endsWith(".yaml")).map((f) => join(capiDir, f));
  const kvm = (await readdir(join(REPO, "deploy/crds")))
    .filter((f) => f.startsWith("infrastructure.cluster.x-k8s.io_kvm"))
    .map((f) => join(REPO, "deploy/crds", f));
  const crds = (await Promise.all([...capi, ...kvm].sort().map(loadManifests))).flat();
  const sink = new KubernetesSink({ client });
  const results = await sink.apply(crds, signal);
  const errors = results.filter((r) => r.error !== undefined).map((r) => r.error?.message);
  if (errors.length > 0) throw new Error(`installing the CRDs failed: ${errors.join("; ")}`);
  for (const c of crds) await waitEstablished(client, c.metadata.name, signal);
  // Discovery lags Established a little: list each kind once.
  for (const [apiVersion, kind] of [
    ["cluster.x-k8s.io/v1beta2", "Cluster"],
    ["cluster.x-k8s.io/v1beta2", "Machine"],
    ["infrastructure.cluster.x-k8s.io/v1beta1", "KVMMachine"],
    ["infrastructure.cluster.x-k8s.io/v1beta1", "KVMCluster"],
  ] as const)
    await waitFor(`${kind} served`, async () => {
      client.mapper.invalidate();
      return (await client.list(apiVersion, kind, { limit: 1, signal })).items !== undefined;
    });
  return crds;
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 90_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ""}`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface ProviderProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Every stderr line so far (pino JSON). */
  readonly lines: () => string[];
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

export async function startProvider(args: string[], env: Record<string, string> = {}): Promise<ProviderProcess> {
  // The provider dies with the test process (a killed test run leaves no provider behind).
  const argv = [join(REPO, "bin/bosun-kvm-provider.mjs"), "--listen", "127.0.0.1:0", ...args];
  const [cmd, ...pre] = existsSync(SETPRIV)
    ? [SETPRIV, "--pdeathsig", "SIGKILL", "--", process.execPath]
    : [process.execPath];
  const child = spawn(cmd as string, [...pre, ...argv], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, BOSUN_LOG_LEVEL: "info", ...env },
  });
  const lines: string[] = [];
  let partial = "";
  child.stderr?.on("data", (d: Buffer) => {
    partial += d.toString();
    const parts = partial.split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts.filter((l) => l !== ""));
  });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const waitForLine = (re: RegExp, timeoutMs = 120_000): Promise<string> =>
    waitFor(
      `provider log line ${re}`,
      async () => {
        if (child.exitCode !== null)
          throw new Error(`provider exited ${child.exitCode}: ${lines.slice(-5).join("\n")}`);
        return lines.find((l) => re.test(l));
      },
      timeoutMs,
    );
  const started = await waitForLine(/bosun-kvm-provider started/);
  const listen = (JSON.parse(started) as { listen: string }).listen;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  return {
    child,
    url: `http://${listen}`,
    lines: () => [...lines],
    waitForLine,
    stop,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

export function suffix(): string {
  return randomBytes(3).toString("hex");
}

/** The domains whose Bosun metadata names this namespace. */
export async function domainsOf(libvirt: LibvirtClient, namespace: string): Promise<DomainInfo[]> {
  return (await libvirt.listDomains()).filter((d) => d.metadata?.["namespace"] === namespace);
}

export interface CapiObjects {
  readonly cluster: KubeObject;
  readonly kvmCluster: KubeObject;
}

/** A Cluster and its KVMCluster, as clusterctl would create them (infrastructure not ready yet). */
export async function createCluster(
  client: KubeClient,
  ns: string,
  name: string,
  opts: { paused?: boolean } = {},
): Promise<CapiObjects> {
  const kvmCluster = await client.create({
    apiVersion: "infrastructure.cluster.x-k8s.io/v1beta1",
    kind: "KVMCluster",
    metadata: { name, namespace: ns, labels: { "cluster.x-k8s.io/cluster-name": name } },
    spec: { controlPlaneEndpoint: { host: `${name}.k8s.example.test`, port: 6443 } },
  });
  const cluster = await client.create({
    apiVersion: "cluster.x-k8s.io/v1beta2",
    kind: "Cluster",
    metadata: { name, namespace: ns },
    spec: {
      ...(opts.paused ? { paused: true } : {}),
      controlPlaneEndpoint: { host: `${name}.k8s.example.test`, port: 6443 },
      infrastructureRef: { apiGroup: "infrastructure.cluster.x-k8s.io", kind: "KVMCluster", name },
    },
  });
  // The Cluster controller sets the owner reference on its infrastructure cluster.
  await client.mergePatch(
    { apiVersion: "infrastructure.cluster.x-k8s.io/v1beta1", kind: "KVMCluster", namespace: ns, name },
    { metadata: { ownerReferences: [ownerRef(cluster)] } },
  );
  return { cluster, kvmCluster };
}

/** What the Cluster controller does once the KVMCluster is ready: status.initialization.infrastructureProvisioned. */
export async function setInfrastructureProvisioned(client: KubeClient, ns: string, name: string): Promise<void> {
  const c = (await client.get({
    apiVersion: "cluster.x-k8s.io/v1beta2",
    kind: "Cluster",
    namespace: ns,
    name,
  })) as KubeObject;
  await client.replaceStatus({
    ...c,
    status: { ...((c["status"] as object) ?? {}), initialization: { infrastructureProvisioned: true } },
  });
}

export function ownerRef(o: KubeObject): Record<string, unknown> {
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    name: o.metadata.name,
    uid: o.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export interface MachineObjects {
  readonly machine: KubeObject;
  readonly kvmMachine: KubeObject;
}

/**
 * A Machine and its KVMMachine as the MachineSet / Machine controllers make them: the KVMMachine from its template's
 * spec, the cluster label on both, the Machine owning the KVMMachine, and (when `bootstrap` is given) the bootstrap
 * data Secret named by Machine.spec.bootstrap.dataSecretName.
 */
export async function createMachine(
  client: KubeClient,
  ns: string,
  cluster: string,
  name: string,
  opts: { bootstrap?: string; resources?: Record<string, unknown> } = {},
): Promise<MachineObjects> {
  const labels = { "cluster.x-k8s.io/cluster-name": cluster };
  const kvm = await client.create({
    apiVersion: "infrastructure.cluster.x-k8s.io/v1beta1",
    kind: "KVMMachine",
    metadata: { name, namespace: ns, labels },
    spec: { resources: opts.resources ?? { cpu: 1, memory: "192Mi", disk: "1Gi", dockerVolumeSize: "512Mi" } },
  });
  if (opts.bootstrap !== undefined)
    await client.create({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: `${name}-bootstrap`, namespace: ns, labels },
      type: "cluster.x-k8s.io/secret",
      data: {
        value: Buffer.from(opts.bootstrap).toString("base64"),
        format: Buffer.from("cloud-config").toString("base64"),
      },
    });
  const machine = await client.create({
    apiVersion: "cluster.x-k8s.io/v1beta2",
    kind: "Machine",
    metadata: { name, namespace: ns, labels },
    spec: {
      clusterName: cluster,
      version: "v1.30.0",
      bootstrap:
        opts.bootstrap !== undefined
          ? { dataSecretName: `${name}-bootstrap` }
          : { configRef: { apiGroup: "bootstrap.cluster.x-k8s.io", kind: "KubeadmConfig", name } },
      infrastructureRef: { apiGroup: "infrastructure.cluster.x-k8s.io", kind: "KVMMachine", name },
    },
  });
  const kvmMachine = await client.mergePatch(
    { apiVersion: "infrastructure.cluster.x-k8s.io/v1beta1", kind: "KVMMachine", namespace: ns, name },
    { metadata: { ownerReferences: [ownerRef(machine)] } },
  );
  void kvm;
  return { machine, kvmMachine };
}

export async function kvmMachine(client: KubeClient, ns: string, name: string): Promise<KubeObject | undefined> {
  return client.get({ apiVersion: "infrastructure.cluster.x-k8s.io/v1beta1", kind: "KVMMachine", namespace: ns, name });
}

export interface Cond {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  severity?: string;
}

export function condition(o: KubeObject | undefined, type: string): Cond | undefined {
  return ((o?.["status"] as { conditions?: Cond[] } | undefined)?.conditions ?? []).find((c) => c.type === type);
}

export async function eventsOf(
  client: KubeClient,
  ns: string,
  name: string,
): Promise<{ type: string; reason: string; message: string; count: number }[]> {
  const list = await client.list("v1", "Event", { namespace: ns });
  return list.items
    .filter((e) => (e["involvedObject"] as { name?: string })?.name === name)
    .map((e) => ({
      type: e["type"] as string,
      reason: e["reason"] as string,
      message: e["message"] as string,
      count: e["count"] as number,
    }));
}

export async function metricsText(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

export { LibvirtClient };
