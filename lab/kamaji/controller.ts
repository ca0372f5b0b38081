/**
 * The lab Kamaji controller: for every TenantControlPlane in the parent cluster it runs a real
 * tenant control plane (tenant-control-plane.ts), writes the TCP status the way Kamaji does
 * (`kubernetesResources.version` Provisioning → Ready / Upgrading, `controlPlaneEndpoint`,
 * `kubeconfig.admin.secretName`, deployment and service, storage) and the admin kubeconfig Secret
 * `<name>-admin-kubeconfig` (keys `admin.conf`, `super-admin.conf`, owned by the TCP), restarts the
 * control plane on a version update, and on delete (finalizer `finalizer.kamaji.clastix.io`) stops
 * it, removes its etcd prefix and Secret, then lets the TCP go. Versions are checked by the webhook.
 */
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { KubeClient, type KubeObject } from "../../clients/kubernetes/index.ts";
import type { JsonObject } from "../../engine/index.ts";
import { ensureKubeBinaries } from "../kube/binaries.ts";
import type { KubeBinaries } from "../kube/paths.ts";
import { pidRunning } from "../kube/proc.ts";
import { TCP_API_VERSION, TCP_KIND } from "./crd.ts";
import { KamajiLabError } from "./errors.ts";
import {
  prepareTenant,
  startTenantApiServer,
  startTenantControllerManager,
  stopTenantProcesses,
  type TenantProcesses,
} from "./tenant-control-plane.ts";
import { applyTenantBootstrap } from "./tenant-setup.ts";
import type { TenantPki } from "./tenant-pki.ts";

export const KAMAJI_FINALIZER = "finalizer.kamaji.clastix.io";
const FIELD_MANAGER = "kamaji";

export interface LabKamajiOptions {
  /** Parent cluster (admin). */
  readonly client: KubeClient;
  /** The parent's etcd (`http://127.0.0.1:<port>`): tenants store under `/kamaji/<ns>/<name>`. */
  readonly etcdUrl: string;
  readonly workDir: string;
  readonly bins?: KubeBinaries;
  /** Light mode (benchmarks): every TCP is served by one shared tenant apiserver. Default false. */
  readonly sharedApiServer?: boolean;
  readonly pollMs?: number;
  readonly log?: (line: string) => void;
}

interface Tenant {
  readonly key: string;
  readonly processes: TenantProcesses;
  readonly pki: TenantPki;
  readonly server: string;
  readonly adminConf: string;
  readonly superAdminConf: string;
  readonly client: KubeClient;
  version: string;
}

interface Tcp extends KubeObject {
  spec?: {
    kubernetes?: { version?: string };
    networkProfile?: { port?: number };
    controlPlane?: { deployment?: { replicas?: number } };
  };
  status?: JsonObject;
}

let addressSeq = 0;

async function portFree(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen({ host: address, port, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** A loopback address of its own per tenant (127.77.x.y), so every tenant listens on its TCP's port. */
async function allocateAddress(port: number): Promise<string> {
  for (let i = 0; i < 60_000; i++) {
    const n = (process.pid * 7 + ++addressSeq) % 65_000;
    const address = `127.77.${(n >> 8) & 255}.${n & 255 || 1}`;
    if (await portFree(address, port)) return address;
  }
  throw new KamajiLabError(`no free loopback address for port ${port}`);
}

function clientFor(kubeconfig: string): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfig);
  return new KubeClient(kc, { qps: 50, burst: 100 });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class LabKamaji {
  private readonly tenants = new Map<string, Tenant>();
  private readonly inFlight = new Set<string>();
  private readonly errors = new Map<string, string>();
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private bins: KubeBinaries | undefined;
  private shared: Promise<Tenant> | undefined;

  constructor(private readonly opts: LabKamajiOptions) {}

  start(): void {
    this.loop = this.run();
  }

  /** The tenants running now: key `ns/name` → endpoint and pids (for tests that check teardown). */
  running(): { key: string; server: string; apiserverPid: number; controllerManagerPid: number }[] {
    return [...this.tenants.values()].map((t) => ({
      key: t.key,
      server: t.server,
      apiserverPid: t.processes.apiserverPid,
      controllerManagerPid: t.processes.controllerManagerPid,
    }));
  }

  /** The last failure per TCP (a start that failed is retried on the next poll). */
  lastErrors(): ReadonlyMap<string, string> {
    return this.errors;
  }

  async stop(): Promise<void> {
    this.abort.abort(new Error("lab Kamaji stopping"));
    await this.loop?.catch(() => undefined);
    while (this.inFlight.size > 0) await sleep(50);
    const seen = new Set<TenantProcesses>();
    for (const t of this.tenants.values()) {
      if (seen.has(t.processes)) continue;
      seen.add(t.processes);
      t.client.close();
      await stopTenantProcesses(t.processes);
    }
    this.tenants.clear();
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    this.bins = this.opts.bins ?? (await ensureKubeBinaries({ signal }));
    while (!signal.aborted) {
      try {
        const list = await this.opts.client.list(TCP_API_VERSION, TCP_KIND, { signal });
        for (const item of list.items as Tcp[]) {
          const key = `${item.metadata.namespace ?? ""}/${item.metadata.name}`;
          if (this.inFlight.has(key)) continue;
          this.inFlight.add(key);
          void this.reconcile(item, key, signal)
            .then(() => this.errors.delete(key))
            .catch((e: unknown) => {
              if (!signal.aborted) {
                const msg = e instanceof Error ? e.message : String(e);
                this.errors.set(key, msg);
                this.opts.log?.(`[lab-kamaji] ${key}: ${msg}`);
              }
            })
            .finally(() => this.inFlight.delete(key));
        }
      } catch (e) {
        if (signal.aborted) break;
        this.opts.log?.(`[lab-kamaji] list failed: ${e instanceof Error ? e.message : String(e)}`);
      }
      await sleep(this.opts.pollMs ?? 500);
    }
  }

  private async reconcile(tcp: Tcp, key: string, signal: AbortSignal): Promise<void> {
    const { client } = this.opts;
    const ns = tcp.metadata.namespace ?? "default";
    const name = tcp.metadata.name;
    const ref = { apiVersion: TCP_API_VERSION, kind: TCP_KIND, namespace: ns, name };
    const finalizers = tcp.metadata.finalizers ?? [];
    if (tcp.metadata.deletionTimestamp !== undefined) {
      if (!finalizers.includes(KAMAJI_FINALIZER)) return;
      await this.teardown(key, ns, name, signal);
      await client.mergePatch(
        ref,
        {
          metadata: {
            finalizers: finalizers.filter((f) => f !== KAMAJI_FINALIZER),
            resourceVersion: tcp.metadata.resourceVersion,
          },
        },
        { fieldManager: FIELD_MANAGER, signal },
      );
      return;
    }
    if (!finalizers.includes(KAMAJI_FINALIZER)) {
      await client.mergePatch(
        ref,
        { metadata: { finalizers: [...finalizers, KAMAJI_FINALIZER], resourceVersion: tcp.metadata.resourceVersion } },
        { fieldManager: FIELD_MANAGER, signal },
      );
    }
    const want = tcp.spec?.kubernetes?.version ?? "";
    const port = tcp.spec?.networkProfile?.port ?? 6443;
    let tenant = this.tenants.get(key);
    if (tenant !== undefined && !pidRunning(tenant.processes.apiserverPid, "kube-apiserver")) {
      // A control plane pod that died is restarted (same address, port and PKI).
      await this.writeStatus(tcp, tenant, "NotReady", tenant.version, signal);
      await stopTenantProcesses(tenant.processes);
      await this.startProcesses(tenant.processes, tenant.pki, signal);
    }
    if (tenant === undefined) {
      await this.writeStatus(tcp, undefined, "Provisioning", "", signal);
      tenant = await this.provision(key, ns, name, port, want, signal);
      await this.writeSecret(tcp, tenant, signal);
    } else if (tenant.version !== want) {
      await this.writeStatus(tcp, tenant, "Upgrading", tenant.version, signal);
      if (!this.opts.sharedApiServer) {
        // Kamaji rolls the control plane's Deployment to the new version: the lab restarts its processes.
        await stopTenantProcesses(tenant.processes);
        await this.startProcesses(tenant.processes, tenant.pki, signal);
      }
      tenant.version = want;
    }
    const secret = await client.get(
      { apiVersion: "v1", kind: "Secret", namespace: ns, name: `${name}-admin-kubeconfig` },
      signal,
    );
    if (secret === undefined) await this.writeSecret(tcp, tenant, signal);
    await this.writeStatus(tcp, tenant, "Ready", tenant.version, signal);
  }

  private async startProcesses(p: TenantProcesses, pki: TenantPki, signal: AbortSignal): Promise<void> {
    const bins = this.bins as KubeBinaries;
    await startTenantApiServer(p, pki, bins, this.opts.etcdUrl, signal);
    startTenantControllerManager(p, pki, bins);
    await this.saveState();
  }

  private async provision(
    key: string,
    ns: string,
    name: string,
    port: number,
    version: string,
    signal: AbortSignal,
  ): Promise<Tenant> {
    if (this.opts.sharedApiServer === true) {
      // Light mode: the first TCP starts the one shared control plane; every other one waits for it.
      const first = (this.shared ??= this.startControlPlane(key, "lab", "shared", port, version, signal));
      let shared: Tenant;
      try {
        shared = await first;
      } catch (e) {
        if (this.shared === first) this.shared = undefined;
        throw e;
      }
      const t: Tenant = { ...shared, key, version };
      this.tenants.set(key, t);
      return t;
    }
    return this.startControlPlane(key, ns, name, port, version, signal);
  }

  private async startControlPlane(
    key: string,
    ns: string,
    name: string,
    port: number,
    version: string,
    signal: AbortSignal,
  ): Promise<Tenant> {
    const address = await allocateAddress(port);
    const dir = await mkdtemp(join(this.opts.workDir, `${ns}-${name}-`));
    const clusterName = name;
    const prep = await prepareTenant(dir, address, port, clusterName, signal);
    const processes: TenantProcesses = {
      address,
      port,
      dir,
      etcdPrefix: `/kamaji/${ns}/${name}`,
      apiserverPid: 0,
      controllerManagerPid: 0,
    };
    const tenantClient = clientFor(prep.superAdminConf);
    try {
      const bins = this.bins as KubeBinaries;
      await startTenantApiServer(processes, prep.pki, bins, this.opts.etcdUrl, signal);
      await this.saveState([processes]);
      await applyTenantBootstrap(tenantClient, prep.server, await readFile(prep.pki.caCert, "utf8"), signal);
      startTenantControllerManager(processes, prep.pki, bins);
      await this.saveState([processes]);
      // The controller-manager works once the token controller made the default ServiceAccount.
      for (;;) {
        signal.throwIfAborted();
        if (!pidRunning(processes.controllerManagerPid, "kube-controller-manager"))
          throw new KamajiLabError(`tenant controller-manager of ${key} exited (log ${dir}/controller-manager.log)`);
        const sa = await tenantClient
          .get({ apiVersion: "v1", kind: "ServiceAccount", namespace: "default", name: "default" }, signal)
          .catch(() => undefined);
        if (sa !== undefined) break;
        await sleep(200);
      }
    } catch (e) {
      tenantClient.close();
      await stopTenantProcesses(processes);
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
    const t: Tenant = { key, processes, ...prep, client: tenantClient, version };
    this.tenants.set(key, t);
    await this.saveState();
    this.opts.log?.(`[lab-kamaji] ${key}: tenant control plane ${prep.server} ready`);
    return t;
  }

  private async teardown(key: string, ns: string, name: string, signal: AbortSignal): Promise<void> {
    const t = this.tenants.get(key);
    this.tenants.delete(key);
    const stillShared = t !== undefined && [...this.tenants.values()].some((o) => o.processes === t.processes);
    if (t !== undefined && !stillShared) {
      this.shared = undefined;
      t.client.close();
      await stopTenantProcesses(t.processes);
      await deleteEtcdPrefix(this.opts.etcdUrl, t.processes.etcdPrefix, signal);
      await rm(t.processes.dir, { recursive: true, force: true });
      await this.saveState();
    }
    await this.opts.client.delete(
      { apiVersion: "v1", kind: "Secret", namespace: ns, name: `${name}-admin-kubeconfig` },
      { signal },
    );
    this.opts.log?.(`[lab-kamaji] ${key}: tenant control plane removed`);
  }

  private async writeSecret(tcp: Tcp, t: Tenant, signal: AbortSignal): Promise<void> {
    const name = `${tcp.metadata.name}-admin-kubeconfig`;
    await this.opts.client.apply(
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: {
          name,
          namespace: tcp.metadata.namespace ?? "default",
          labels: {
            "kamaji.clastix.io/name": tcp.metadata.name,
            "kamaji.clastix.io/component": "admin-kubeconfig",
            "kamaji.clastix.io/project": "kamaji",
          },
          ownerReferences: [
            {
              apiVersion: TCP_API_VERSION,
              kind: TCP_KIND,
              name: tcp.metadata.name,
              uid: tcp.metadata.uid ?? "",
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        type: "Opaque",
        data: {
          "admin.conf": Buffer.from(t.adminConf).toString("base64"),
          "super-admin.conf": Buffer.from(t.superAdminConf).toString("base64"),
        },
      },
      { fieldManager: FIELD_MANAGER, force: true, signal },
    );
  }

  private async writeStatus(
    tcp: Tcp,
    t: Tenant | undefined,
    phase: string,
    version: string,
    signal: AbortSignal,
  ): Promise<void> {
    const ns = tcp.metadata.namespace ?? "default";
    const name = tcp.metadata.name;
    const ready = phase === "Ready" ? 1 : 0;
    const status: JsonObject = {
      kubernetesResources: {
        version: { status: phase, ...(version ? { version } : {}) },
        deployment: {
          name,
          namespace: ns,
          selector: `kamaji.clastix.io/name=${name}`,
          // The lab runs one apiserver per tenant whatever spec.controlPlane.deployment.replicas says.
          replicas: 1,
          readyReplicas: ready,
          availableReplicas: ready,
          updatedReplicas: ready,
        },
        ...(t
          ? {
              service: {
                name,
                namespace: ns,
                port: t.processes.port,
                loadBalancer: { ingress: [{ ip: t.processes.address }] },
              },
            }
          : {}),
      },
      ...(t
        ? {
            controlPlaneEndpoint: `${t.processes.address}:${t.processes.port}`,
            kubeconfig: {
              admin: {
                secretName: `${name}-admin-kubeconfig`,
                checksum: createHash("sha256").update(t.adminConf).digest("hex").slice(0, 32),
              },
            },
          }
        : {}),
      storage: { driver: "etcd", dataStoreName: "lab-etcd" },
      ...(tcp.metadata.generation !== undefined ? { observedGeneration: tcp.metadata.generation } : {}),
    };
    if (JSON.stringify(tcp.status ?? {}) === JSON.stringify(status)) return;
    tcp.status = status;
    await this.opts.client.applyStatus(
      { apiVersion: TCP_API_VERSION, kind: TCP_KIND, metadata: { name, namespace: ns }, status },
      { fieldManager: FIELD_MANAGER, force: true, signal },
    );
  }

  private async saveState(extra: TenantProcesses[] = []): Promise<void> {
    const all = [...new Set([...[...this.tenants.values()].map((t) => t.processes), ...extra])];
    await writeFile(
      join(this.opts.workDir, "state.json"),
      JSON.stringify({ ownerPid: process.pid, processes: all }, null, 2),
      { mode: 0o600 },
    );
  }
}

/** Removes a tenant's keys from etcd (etcd's v3 JSON gateway), as Kamaji cleans its datastore. */
async function deleteEtcdPrefix(etcdUrl: string, prefix: string, signal: AbortSignal): Promise<void> {
  const key = Buffer.from(`${prefix}/`);
  const end = Buffer.from(key);
  end[end.length - 1] = (end[end.length - 1] as number) + 1;
  const res = await fetch(`${etcdUrl}/v3/kv/deleterange`, {
    method: "POST",
    body: JSON.stringify({ key: key.toString("base64"), range_end: end.toString("base64") }),
    signal,
  });
  if (!res.ok) throw new KamajiLabError(`etcd deleterange ${prefix} failed: HTTP ${res.status}`);
}

export async function labKamajiWorkDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "bosun-kamaji-"));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}
