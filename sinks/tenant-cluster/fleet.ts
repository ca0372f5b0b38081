/**
 * The `TENANT_FLEET` port: live state and steps of tenant clusters over the parent cluster
 * (TenantControlPlane, Kamaji's admin kubeconfig Secret, the TenantCluster records), Proxmox (worker
 * VMs) and each tenant's own apiserver (Nodes, bootstrap tokens). One snapshot costs one
 * `GET /cluster/resources`, one config read per worker, a TCP and a record GET, and one Node list.
 */
import { createHash } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { KubeApiError, KubeClient } from "../../clients/kubernetes/index.ts";
import {
  parsePropertyString,
  type ClusterResource,
  type ProxmoxClient,
  type VmConfig,
} from "../../clients/proxmox/index.ts";
import type { JsonObject, Logger, ObjectRef } from "../../engine/index.ts";
import {
  TenantStepError,
  type JoinData,
  type LiveNode,
  type LiveTcp,
  type LiveWorker,
  type TenantClusterStatus,
  type TenantFleet,
  type TenantSnapshot,
} from "../../engine/kinds/tenant-cluster/ports.ts";
import type { TenantCluster } from "../../engine/kinds/tenant-cluster/spec.ts";
import {
  adminSecretName,
  TCP_API_VERSION,
  TCP_KIND,
  tenantControlPlane,
} from "../../engine/kinds/tenant-cluster/tcp.ts";
import {
  parseWorkerDescription,
  sizeOf,
  WORKER_TAG,
  workerDescription,
  workerName,
} from "../../engine/kinds/tenant-cluster/workers.ts";
import type { TenantClustersConfig } from "./config.ts";
import { stepError } from "./errors.ts";
import { bootstrapToken, caCertHash, joinUserData } from "./join.ts";

/** The Proxmox calls the backend makes (ProxmoxClient satisfies it). */
export type ProxmoxApi = Pick<
  ProxmoxClient,
  | "resources"
  | "nextId"
  | "clone"
  | "config"
  | "setConfig"
  | "resizeDisk"
  | "start"
  | "shutdown"
  | "stop"
  | "destroy"
  | "waitForTask"
>;

const FIELD_MANAGER = "bosun";
/** How long one cluster-wide resource list serves the tenants of a pass (writes drop it at once). */
const RESOURCES_TTL_MS = 1000;
const DISK_KEYS = ["scsi0", "virtio0", "sata0", "ide0"];

function diskOf(config: VmConfig): { key: string; sizeGiB: number | undefined } | undefined {
  for (const key of DISK_KEYS) {
    const v = config[key];
    if (typeof v !== "string" || /media=cdrom|cloudinit/.test(v)) continue;
    const size = parsePropertyString(v, "file")["size"];
    const m = size ? /^(\d+(?:\.\d+)?)([KMGT]?)$/.exec(size) : null;
    const factor: Record<string, number> = { "": 1 / 1024 ** 3, K: 1 / 1024 ** 2, M: 1 / 1024, G: 1, T: 1024 };
    return { key, sizeGiB: m ? Number(m[1]) * (factor[m[2] ?? ""] ?? 1) : undefined };
  }
  return undefined;
}

function memoryMiB(v: string | number | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(typeof v === "number" ? v : (parsePropertyString(v, "current")["current"] ?? v));
  return Number.isFinite(n) ? n : undefined;
}

interface TenantConn {
  readonly checksum: string;
  readonly client: KubeClient;
  readonly caHash: string;
}

interface TcpObject {
  metadata: { deletionTimestamp?: string };
  spec?: {
    kubernetes?: { version?: string };
    controlPlane?: { deployment?: { replicas?: number }; service?: { serviceType?: string } };
    networkProfile?: { port?: number };
    addons?: Record<string, unknown>;
  };
  status?: {
    controlPlaneEndpoint?: string;
    kubeconfig?: { admin?: { secretName?: string } };
    kubernetesResources?: { version?: { status?: string; version?: string } };
  };
}

export interface TenantFleetOptions {
  readonly parent: KubeClient;
  readonly proxmox: ProxmoxApi;
  readonly config: TenantClustersConfig;
  readonly logger: Logger;
  readonly clock?: () => Date;
}

export class KubeProxmoxTenantFleet implements TenantFleet {
  private readonly tenants = new Map<string, TenantConn>();
  private cloneQueue: Promise<unknown> = Promise.resolve();
  private readonly clock: () => Date;
  /** One `GET /cluster/resources` shared by the tenants of a pass; any write drops it. */
  private resourcesMemo: { at: number; answer: Promise<ClusterResource[]> } | undefined;

  constructor(private readonly o: TenantFleetOptions) {
    this.clock = o.clock ?? (() => new Date());
  }

  close(): void {
    for (const t of this.tenants.values()) t.client.close();
    this.tenants.clear();
  }

  private resources(signal: AbortSignal): Promise<ClusterResource[]> {
    const now = Date.now();
    if (this.resourcesMemo && now - this.resourcesMemo.at < RESOURCES_TTL_MS) return this.resourcesMemo.answer;
    const answer = this.o.proxmox.resources(undefined, signal);
    this.resourcesMemo = { at: now, answer };
    answer.catch(() => {
      if (this.resourcesMemo?.answer === answer) this.resourcesMemo = undefined;
    });
    return answer;
  }

  private changed(): void {
    this.resourcesMemo = undefined;
  }

  /** Waits for a task; the shared resource list is dropped before and after (the next read sees the change). */
  private async wait(upid: string | null, signal: AbortSignal, timeoutMs?: number): Promise<unknown> {
    this.changed();
    try {
      return await this.o.proxmox.waitForTask(upid, {
        timeoutMs: timeoutMs ?? this.o.config.proxmox.taskTimeoutMs,
        signal,
        ...(this.o.config.proxmox.taskPollMs ? { pollMs: this.o.config.proxmox.taskPollMs } : {}),
      });
    } finally {
      this.changed();
    }
  }

  // ---- live state ----

  async snapshot(t: TenantCluster, signal: AbortSignal): Promise<TenantSnapshot> {
    const [tcpObj, resources, record] = await Promise.all([
      this.o.parent.get({ apiVersion: TCP_API_VERSION, kind: TCP_KIND, namespace: t.namespace, name: t.name }, signal),
      this.resources(signal).catch((e: unknown) => {
        throw stepError("reading Proxmox resources", e);
      }),
      this.o.parent.get(
        { apiVersion: t.object.apiVersion, kind: t.object.kind, namespace: t.namespace, name: t.name },
        signal,
      ),
    ]);
    const tcp = tcpObj ? this.liveTcp(t, tcpObj as unknown as TcpObject) : undefined;
    const { workers, duplicates } = await this.workersOf(t.key, resources, signal);
    const tmpl = resources.find((r) => r.type === "qemu" && r.vmid === t.workers.templateVmid);
    const template =
      tmpl && (t.workers.templateNode === undefined || tmpl.node === t.workers.templateNode)
        ? { vmid: t.workers.templateVmid, node: tmpl.node as string }
        : undefined;
    const proxmoxNodes = resources
      .filter((r) => r.type === "node")
      .map((r) => ({
        name: r.node ?? r.id.replace(/^node\//, ""),
        online: r.status === "online",
        maxcpu: r.maxcpu ?? 0,
        maxmemMiB: Math.floor((r.maxmem ?? 0) / 1024 / 1024),
      }));
    let tcpRefusal: string | undefined;
    if (tcp === undefined || !tcp.inSync) tcpRefusal = await this.dryRunRefusal(t, signal);
    const nodes = tcp?.endpoint && !tcp.deleting ? await this.nodes(t, signal) : undefined;
    const previous = (record as { status?: TenantClusterStatus } | undefined)?.status;
    return {
      tcp,
      tcpRefusal,
      workers,
      duplicates,
      nodes,
      proxmoxNodes,
      template,
      previous: previous && typeof previous.phase === "string" ? previous : undefined,
    };
  }

  private liveTcp(t: TenantCluster, o: TcpObject): LiveTcp {
    const want = tenantControlPlane(t) as unknown as TcpObject;
    const s = o.spec ?? {};
    const w = want.spec ?? {};
    const inSync =
      s.kubernetes?.version === w.kubernetes?.version &&
      s.controlPlane?.deployment?.replicas === w.controlPlane?.deployment?.replicas &&
      s.controlPlane?.service?.serviceType === w.controlPlane?.service?.serviceType &&
      (s.networkProfile?.port ?? 6443) === (w.networkProfile?.port ?? 6443) &&
      JSON.stringify(Object.keys(s.addons ?? {}).sort()) === JSON.stringify(Object.keys(w.addons ?? {}).sort());
    const st = o.status ?? {};
    return {
      specVersion: s.kubernetes?.version ?? "",
      inSync,
      deleting: o.metadata.deletionTimestamp !== undefined,
      versionStatus: st.kubernetesResources?.version?.status,
      version: st.kubernetesResources?.version?.version,
      endpoint: st.controlPlaneEndpoint,
      adminSecretName: st.kubeconfig?.admin?.secretName,
    };
  }

  /** Kamaji's answer to the TCP Bosun would apply (dry run: its webhook runs, nothing is written). */
  private async dryRunRefusal(t: TenantCluster, signal: AbortSignal): Promise<string | undefined> {
    try {
      await this.o.parent.apply(tenantControlPlane(t), {
        fieldManager: FIELD_MANAGER,
        dryRun: true,
        force: true,
        signal,
      });
      return undefined;
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      if (e instanceof KubeApiError && /denied the request/.test(e.message))
        return e.message.replace(/^.*denied the request:\s*/s, "");
      if (e instanceof KubeApiError && e.statusCode === 422) return e.message;
      throw e;
    }
  }

  /** This tenant's worker VMs, proven by their description (one config GET per candidate). */
  async workersOf(
    tenantKey: string,
    resources: readonly ClusterResource[],
    signal: AbortSignal,
  ): Promise<{ workers: LiveWorker[]; duplicates: LiveWorker[] }> {
    const [ns, name] = tenantKey.split("/") as [string, string];
    const prefix = `${ns}-${name}-w`;
    // The name narrows the candidates (it is set with the clone); the description proves ownership.
    const candidates = resources.filter(
      (r) => r.type === "qemu" && r.template !== 1 && r.name?.startsWith(prefix) === true,
    );
    const found = await Promise.all(
      candidates.map(async (r): Promise<LiveWorker | undefined> => {
        const node = r.node as string;
        const vmid = r.vmid as number;
        let config: VmConfig;
        try {
          config = await this.o.proxmox.config(node, vmid, {}, signal);
        } catch (e) {
          if (signal.aborted) throw signal.reason;
          if ((e as { notFound?: boolean }).notFound) return undefined; // destroyed meanwhile
          throw stepError(`reading the config of VM ${vmid}`, e);
        }
        const id = parseWorkerDescription(config.description);
        if (!id || id.tenant !== tenantKey) return undefined;
        const disk = diskOf(config);
        return {
          vmid,
          node,
          name: config.name ?? r.name ?? `vm-${vmid}`,
          index: id.index,
          power: r.status === "running" ? "running" : "stopped",
          lock: config.lock ?? r.lock,
          cores: config.cores,
          memoryMiB: memoryMiB(config.memory),
          bootedSize: id.bootedSize,
          joinConfigured: (config.cicustom ?? "").includes(`user=${this.snippetVolume(config.name ?? "")}`),
          diskGiB: disk?.sizeGiB,
          cpu: r.cpu,
          memBytes: r.mem,
          maxmemBytes: r.maxmem,
        };
      }),
    );
    const byIndex = new Map<number, LiveWorker[]>();
    for (const w of found) if (w) byIndex.set(w.index, [...(byIndex.get(w.index) ?? []), w]);
    const workers: LiveWorker[] = [];
    const duplicates: LiveWorker[] = [];
    for (const group of byIndex.values()) {
      // One VM per index: the unlocked one with the lowest VMID stays.
      const sorted = [...group].sort(
        (a, b) => Number(a.lock !== undefined) - Number(b.lock !== undefined) || a.vmid - b.vmid,
      );
      workers.push(sorted[0] as LiveWorker);
      duplicates.push(...sorted.slice(1));
    }
    return { workers: workers.sort((a, b) => a.index - b.index), duplicates };
  }

  private async tenantConn(t: { namespace: string; name: string }, signal: AbortSignal): Promise<TenantConn> {
    const key = `${t.namespace}/${t.name}`;
    const secret = (await this.o.parent.get(
      { apiVersion: "v1", kind: "Secret", namespace: t.namespace, name: adminSecretName(t.name) },
      signal,
    )) as unknown as { data?: Record<string, string> } | undefined;
    const conf = secret?.data?.["admin.conf"];
    if (!conf)
      throw new TenantStepError(
        "AdminKubeconfigMissing",
        `Kamaji's admin kubeconfig Secret ${t.namespace}/${adminSecretName(t.name)} has no admin.conf yet`,
      );
    const checksum = createHash("sha256").update(conf).digest("hex");
    const cached = this.tenants.get(key);
    if (cached?.checksum === checksum) return cached;
    cached?.client.close();
    const kc = new KubeConfig();
    kc.loadFromString(Buffer.from(conf, "base64").toString("utf8"));
    const ca = kc.getCurrentCluster()?.caData;
    if (!ca) throw new TenantStepError("AdminKubeconfigInvalid", `admin.conf of ${key} carries no CA`);
    const conn = {
      checksum,
      client: new KubeClient(kc, { qps: 20, burst: 40 }),
      caHash: caCertHash(Buffer.from(ca, "base64")),
    };
    this.tenants.set(key, conn);
    return conn;
  }

  private async nodes(t: TenantCluster, signal: AbortSignal): Promise<LiveNode[] | undefined> {
    try {
      const conn = await this.tenantConn(t, signal);
      const list = await conn.client.list("v1", "Node", { signal });
      return list.items.map((n) => {
        const conds = ((n as unknown as { status?: { conditions?: { type: string; status: string }[] } }).status
          ?.conditions ?? []) as { type: string; status: string }[];
        return { name: n.metadata.name, ready: conds.some((c) => c.type === "Ready" && c.status === "True") };
      });
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      this.o.logger.debug({ tenant: t.key, err: e }, "tenant Nodes not readable");
      return undefined;
    }
  }

  // ---- steps ----

  async applyTcp(t: TenantCluster, signal: AbortSignal): Promise<void> {
    await this.o.parent.apply(tenantControlPlane(t), { fieldManager: FIELD_MANAGER, force: true, signal });
  }

  async joinData(t: TenantCluster, signal: AbortSignal): Promise<JoinData> {
    const tcp = (await this.o.parent.get(
      { apiVersion: TCP_API_VERSION, kind: TCP_KIND, namespace: t.namespace, name: t.name },
      signal,
    )) as unknown as TcpObject | undefined;
    const endpoint = tcp?.status?.controlPlaneEndpoint;
    if (!endpoint) throw new TenantStepError("ControlPlaneNotReady", "the TenantControlPlane has no endpoint yet");
    try {
      const conn = await this.tenantConn(t, signal);
      const token = await bootstrapToken(conn.client, t.key, this.o.config.joinTokenTtlHours, this.clock(), signal);
      return { endpoint, token, caCertHash: conn.caHash };
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      if (e instanceof TenantStepError) throw e;
      throw new TenantStepError(
        "TenantUnreachable",
        `creating a bootstrap token in the tenant: ${(e as Error).message}`,
        { cause: e },
      );
    }
  }

  async cloneWorker(t: TenantCluster, index: number, node: string, signal: AbortSignal): Promise<void> {
    const name = workerName(t, index);
    const w = t.workers;
    const templateNode = w.templateNode ?? node;
    // nextid + clone POST one at a time: two clones never race for one VMID.
    const start = this.cloneQueue.then(async () => {
      const newid = await this.o.proxmox.nextId(signal);
      return this.o.proxmox.clone(
        templateNode,
        w.templateVmid,
        {
          newid,
          name,
          full: true,
          description: workerDescription(t.key, index),
          ...(node !== templateNode ? { target: node } : {}),
          ...(w.storage ? { storage: w.storage } : {}),
          ...(w.pool ? { pool: w.pool } : {}),
        },
        signal,
      );
    });
    this.cloneQueue = start.catch(() => undefined);
    try {
      await this.wait(await start, signal);
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      throw stepError(`cloning worker ${name} from template ${w.templateVmid}`, e);
    }
  }

  private snippetFile(vmName: string): string {
    return `bosun-${vmName}.yaml`;
  }

  private snippetVolume(vmName: string): string {
    return `${this.o.config.snippets.storage}:snippets/${this.snippetFile(vmName)}`;
  }

  async configureWorker(t: TenantCluster, w: LiveWorker, joinData: JoinData, signal: AbortSignal): Promise<void> {
    const what = `configuring worker ${w.name}`;
    try {
      await mkdir(this.o.config.snippets.dir, { recursive: true });
      await writeFile(join(this.o.config.snippets.dir, this.snippetFile(w.name)), joinUserData(joinData, w.name), {
        mode: 0o600,
      });
      await this.o.proxmox.setConfig(
        w.node,
        w.vmid,
        {
          cores: t.workers.cores,
          memory: t.workers.memoryMiB,
          cicustom: { user: this.snippetVolume(w.name) },
          ipconfig: { 0: { ip: "dhcp" } },
          tags: [WORKER_TAG],
        },
        signal,
      );
      const config = await this.o.proxmox.config(w.node, w.vmid, {}, signal);
      const disk = diskOf(config);
      if (disk && (disk.sizeGiB === undefined || disk.sizeGiB < t.workers.diskGiB))
        await this.wait(
          await this.o.proxmox.resizeDisk(w.node, w.vmid, disk.key, `${t.workers.diskGiB}G`, signal),
          signal,
        );
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      throw stepError(what, e);
    }
  }

  async resizeWorker(t: TenantCluster, w: LiveWorker, signal: AbortSignal): Promise<void> {
    try {
      await this.o.proxmox.setConfig(w.node, w.vmid, { cores: t.workers.cores, memory: t.workers.memoryMiB }, signal);
      const config = await this.o.proxmox.config(w.node, w.vmid, {}, signal);
      const disk = diskOf(config);
      if (disk?.sizeGiB !== undefined && disk.sizeGiB < t.workers.diskGiB)
        await this.wait(
          await this.o.proxmox.resizeDisk(w.node, w.vmid, disk.key, `${t.workers.diskGiB}G`, signal),
          signal,
        );
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      throw stepError(`resizing worker ${w.name}`, e);
    }
  }

  async startWorker(t: TenantCluster, w: LiveWorker, signal: AbortSignal): Promise<void> {
    try {
      const size = sizeOf(t.workers.cores, t.workers.memoryMiB);
      await this.o.proxmox.setConfig(w.node, w.vmid, { description: workerDescription(t.key, w.index, size) }, signal);
      await this.wait(await this.o.proxmox.start(w.node, w.vmid, signal), signal);
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      if (/already running/i.test(String((e as { exitstatus?: string }).exitstatus ?? ""))) return;
      throw stepError(`starting worker ${w.name}`, e);
    }
  }

  async shutdownWorker(w: LiveWorker, signal: AbortSignal): Promise<void> {
    const timeout = this.o.config.shutdownTimeoutSeconds;
    try {
      const upid = await this.o.proxmox.shutdown(w.node, w.vmid, { timeout, forceStop: true }, signal);
      await this.wait(upid, signal, Math.max(this.o.config.proxmox.taskTimeoutMs, (timeout + 30) * 1000));
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      throw stepError(`shutting down worker ${w.name}`, e);
    }
  }

  async deleteNode(t: TenantCluster, name: string, signal: AbortSignal): Promise<void> {
    try {
      const conn = await this.tenantConn(t, signal);
      await conn.client.delete({ apiVersion: "v1", kind: "Node", name }, { signal });
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      throw new TenantStepError("TenantUnreachable", `removing Node ${name} from the tenant: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  async destroyWorker(w: LiveWorker, signal: AbortSignal): Promise<void> {
    try {
      if (w.power === "running") await this.wait(await this.o.proxmox.stop(w.node, w.vmid, signal), signal);
      await this.wait(await this.o.proxmox.destroy(w.node, w.vmid, { purge: true }, signal), signal);
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      if ((e as { notFound?: boolean }).notFound) return;
      throw stepError(`deleting worker VM ${w.vmid} (${w.name})`, e);
    }
    await rm(join(this.o.config.snippets.dir, this.snippetFile(w.name)), { force: true });
  }

  async writeStatus(ref: ObjectRef, status: TenantClusterStatus, signal: AbortSignal): Promise<void> {
    await this.o.parent.applyStatus(
      {
        apiVersion: ref.apiVersion,
        kind: ref.kind,
        metadata: { name: ref.name, namespace: ref.namespace },
        status: status as unknown as JsonObject,
      },
      { fieldManager: "bosun-tenant-cluster", force: true, signal },
    );
  }

  // ---- teardown (delete in reverse order) ----

  /** VMs, then the TenantControlPlane (waits until Kamaji let it go), then the tenant's Secrets. */
  async teardown(ref: ObjectRef, signal: AbortSignal): Promise<void> {
    const key = `${ref.namespace}/${ref.name}`;
    this.changed();
    const resources = await this.o.proxmox.resources(undefined, signal).catch((e: unknown) => {
      throw stepError("reading Proxmox resources", e);
    });
    const { workers, duplicates } = await this.workersOf(key, resources, signal);
    await Promise.all([...workers, ...duplicates].map((w) => this.destroyWorker(w, signal)));
    const tcpRef = { apiVersion: TCP_API_VERSION, kind: TCP_KIND, namespace: ref.namespace, name: ref.name };
    if (await this.o.parent.get(tcpRef, signal)) {
      await this.o.parent.delete(tcpRef, { signal });
      const deadline = Date.now() + 120_000;
      while ((await this.o.parent.get(tcpRef, signal)) !== undefined) {
        if (Date.now() > deadline)
          throw new TenantStepError(
            "ControlPlaneTerminating",
            `TenantControlPlane ${key} is still terminating after 120 s (Kamaji holds its finalizer); retried next pass`,
          );
        await new Promise((r) => setTimeout(r, 250));
        signal.throwIfAborted();
      }
    }
    this.tenants.get(key)?.client.close();
    this.tenants.delete(key);
    const secrets = await this.o.parent.list("v1", "Secret", {
      namespace: ref.namespace,
      labelSelector: `kamaji.clastix.io/name=${ref.name}`,
      signal,
    });
    for (const s of secrets.items)
      await this.o.parent.delete(
        { apiVersion: "v1", kind: "Secret", namespace: ref.namespace, name: s.metadata.name },
        { signal },
      );
  }
}
