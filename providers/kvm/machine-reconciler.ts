import { mkdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { isNotFound } from "../../clients/kubernetes/errors.ts";
import type { KubeClient, KubeObject } from "../../clients/kubernetes/index.ts";
import {
  createQcow2,
  isLibvirtError,
  writeConfigDrive,
  type DomainInfo,
  type DomainSpec,
  type DomainType,
  type LibvirtClient,
  type LibvirtError,
} from "../../clients/libvirt/index.ts";
import type { Logger } from "../../engine/index.ts";
import { setCondition } from "./conditions.ts";
import type { EventRecorder } from "./events.ts";
import type { ProviderMetrics } from "./metrics.ts";
import {
  CAPI_API_VERSION,
  CAPI_GROUP,
  CAPI_V1BETA1,
  CLUSTER_NAME_LABEL,
  DOMAIN_READY,
  FIELD_MANAGER,
  INFRA_API_VERSION,
  MACHINE_FINALIZER,
  PAUSED_ANNOTATION,
  READY,
  Reason,
  type Condition,
  type Resources,
} from "./model.ts";
import { domainName, parseProviderID, providerID } from "./naming.ts";
import { MiB, parseSize } from "./quantity.ts";

export const MACHINE_CONTROLLER = "kvmmachine";

export interface MachineReconcilerConfig {
  /** Where each domain's disks, config drive and serial log go: `<stateDir>/<domain name>/`. */
  readonly stateDir: string;
  /** This hypervisor's name in providerIDs (`kvm://<host>/<uuid>`). */
  readonly hostName: string;
  /** `kvm` only when the probe boot proved it works. */
  readonly domainType: DomainType;
  /** Kernel + initramfs the domains boot (direct kernel boot). */
  readonly boot: { readonly kernel: string; readonly initrd: string };
  /** Guest memory is capped here (TCG guests on a lab host; 0 = no cap). */
  readonly maxMemoryMiB: number;
  /** Crash-point injection for the SIGKILL test: `after-define` stops here for good. */
  readonly failpoint?: string;
}

export interface MachineDeps {
  readonly kube: KubeClient;
  readonly libvirt: LibvirtClient;
  readonly events: EventRecorder;
  readonly metrics: ProviderMetrics;
  readonly log: Logger;
  readonly config: MachineReconcilerConfig;
  readonly now: () => Date;
}

/** What the queue does after a reconcile. */
export interface Outcome {
  /** Come back after this long (a wait or a fault); undefined = only on the next event or resync. */
  readonly requeueMs?: number;
  /** A fault: the queue backs off. */
  readonly error?: string;
}

interface MachineStatus {
  ready?: boolean;
  initialization?: { provisioned?: boolean };
  vmState?: string;
  addresses?: { type: string; address: string }[];
  domain?: { name?: string; uuid?: string; type?: string; host?: string };
  failureReason?: string;
  failureMessage?: string;
  conditions?: Condition[];
  observedGeneration?: number;
}

/** A fault with its condition reason, Event reason and whether it goes into failureReason/failureMessage. */
class Fault extends Error {
  constructor(
    readonly reason: string,
    message: string,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

const WAIT_MS = 5_000;

/**
 * The KVMMachine controller's one reconcile, following the CAPI infrastructure-machine contract: wait for the owner
 * Machine, the Cluster's infrastructure and the bootstrap data; then (behind the finalizer) qcow2 disks, the NoCloud
 * config drive, a libvirt domain named after the KVMMachine, started; then providerID, ready, addresses, conditions.
 * Deletion removes domain and disks, then the finalizer. Every step finds what an earlier, interrupted run left.
 */
export class MachineReconciler {
  constructor(private readonly d: MachineDeps) {}

  async reconcile(namespace: string, name: string, signal?: AbortSignal): Promise<Outcome> {
    const { kube, metrics } = this.d;
    const km = await kube.get({ apiVersion: INFRA_API_VERSION, kind: "KVMMachine", namespace, name }, signal);
    if (!km) {
      metrics.forget(MACHINE_CONTROLLER, "KVMMachine", namespace, name);
      return {};
    }
    metrics.observe(MACHINE_CONTROLLER, {
      kind: "KVMMachine",
      namespace,
      name,
      ...(km.metadata.creationTimestamp ? { creationTimestamp: km.metadata.creationTimestamp } : {}),
      ...(km.metadata.deletionTimestamp ? { deletionTimestamp: km.metadata.deletionTimestamp } : {}),
    });
    const machine = await this.ownerMachine(km, signal);
    const clusterName =
      km.metadata.labels?.[CLUSTER_NAME_LABEL] ?? (machine?.["spec"] as { clusterName?: string })?.clusterName;
    const cluster = clusterName
      ? await kube.get({ apiVersion: CAPI_API_VERSION, kind: "Cluster", namespace, name: clusterName }, signal)
      : undefined;
    if (isPaused(km) || (cluster && isClusterPaused(cluster))) {
      this.d.log.debug({ machine: `${namespace}/${name}` }, "paused: not reconciled");
      return {};
    }
    const outcome = km.metadata.deletionTimestamp
      ? await this.reconcileDelete(km, signal)
      : await this.reconcileNormal(km, machine, cluster, signal);
    if (!outcome.error) metrics.reconciled(MACHINE_CONTROLLER, { kind: "KVMMachine", namespace, name }, this.d.now());
    return outcome;
  }

  private async ownerMachine(km: KubeObject, signal?: AbortSignal): Promise<KubeObject | undefined> {
    const owner = ((km.metadata["ownerReferences"] as { apiVersion: string; kind: string; name: string }[]) ?? []).find(
      (o) => o.kind === "Machine" && o.apiVersion.startsWith(`${CAPI_GROUP}/`),
    );
    if (!owner) return undefined;
    return this.d.kube.get(
      { apiVersion: CAPI_API_VERSION, kind: "Machine", namespace: km.metadata.namespace ?? "", name: owner.name },
      signal,
    );
  }

  private async reconcileNormal(
    km: KubeObject,
    machine: KubeObject | undefined,
    cluster: KubeObject | undefined,
    signal?: AbortSignal,
  ): Promise<Outcome> {
    const status = (km["status"] ?? {}) as MachineStatus;
    const ns = km.metadata.namespace ?? "";
    if (!machine)
      return this.waiting(
        km,
        Reason.WaitingForMachine,
        "waiting for the Machine controller to set an owner reference to a Machine",
        signal,
      );
    if (!cluster)
      return this.waiting(
        km,
        Reason.WaitingForCluster,
        `waiting for the Cluster ${ns}/${km.metadata.labels?.[CLUSTER_NAME_LABEL] ?? "(no cluster-name label)"}`,
        signal,
      );
    if (!km.metadata.finalizers?.includes(MACHINE_FINALIZER)) {
      km = await this.d.kube.mergePatch(
        machineRef(km),
        {
          metadata: {
            finalizers: [...(km.metadata.finalizers ?? []), MACHINE_FINALIZER],
            resourceVersion: km.metadata.resourceVersion,
          },
        },
        { fieldManager: FIELD_MANAGER, ...(signal ? { signal } : {}) },
      );
    }
    if (!(await this.infrastructureReady(cluster, signal)))
      return this.waiting(
        km,
        Reason.WaitingForClusterInfrastructure,
        `waiting for Cluster ${ns}/${cluster.metadata.name} infrastructure to be ready`,
        signal,
      );
    const secretName = ((machine["spec"] as { bootstrap?: { dataSecretName?: string } })?.bootstrap ?? {})
      .dataSecretName;
    if (!secretName)
      return this.waiting(
        km,
        Reason.WaitingForBootstrapData,
        "waiting for the bootstrap provider to set Machine.spec.bootstrap.dataSecretName",
        signal,
      );
    const secret = await this.d.kube.get({ apiVersion: "v1", kind: "Secret", namespace: ns, name: secretName }, signal);
    const encoded = (secret?.["data"] as Record<string, string> | undefined)?.["value"];
    if (encoded === undefined)
      return this.waiting(
        km,
        Reason.WaitingForBootstrapData,
        `waiting for the bootstrap data Secret ${ns}/${secretName} (key "value")`,
        signal,
      );
    const bootstrap = Buffer.from(encoded, "base64").toString("utf8");

    try {
      const spec = this.domainSpec(km, status, cluster.metadata.name, machine.metadata.name);
      const { domain, created } = await this.ensureDomain(km, status, spec, bootstrap, signal);
      const id = providerID(this.d.config.hostName, domain.uuid);
      const spec0 = (km["spec"] ?? {}) as { providerID?: string };
      if (spec0.providerID !== id) {
        km = await this.d.kube.mergePatch(
          machineRef(km),
          { spec: { providerID: id } },
          { fieldManager: FIELD_MANAGER, ...(signal ? { signal } : {}) },
        );
      }
      const now = this.d.now();
      let conditions = setCondition(
        status.conditions,
        {
          type: DOMAIN_READY,
          status: "True",
          reason: Reason.DomainRunning,
          message: `domain ${domain.name} is running`,
        },
        now,
      );
      conditions = setCondition(conditions, { type: READY, status: "True", reason: Reason.Ready }, now);
      await this.writeStatus(
        km,
        {
          ready: true,
          initialization: { provisioned: true },
          vmState: "running",
          addresses: [{ type: "Hostname", address: km.metadata.name }],
          domain: { name: domain.name, uuid: domain.uuid, type: String(domain.type), host: this.d.config.hostName },
          conditions,
          ...(km.metadata.generation !== undefined ? { observedGeneration: km.metadata.generation } : {}),
        },
        signal,
      );
      if (created)
        this.d.log.info(
          { machine: `${ns}/${km.metadata.name}`, domain: domain.name, providerID: id },
          "domain running",
        );
      return {};
    } catch (err) {
      return this.fault(km, status, err, signal);
    }
  }

  /**
   * The Cluster says its infrastructure is provisioned: v1beta2 `status.initialization`, else v1beta1
   * `status.infrastructureReady`.
   */
  private async infrastructureReady(cluster: KubeObject, signal?: AbortSignal): Promise<boolean> {
    const s = cluster["status"] as { initialization?: { infrastructureProvisioned?: boolean } } | undefined;
    if (s?.initialization?.infrastructureProvisioned === true) return true;
    const old = await this.d.kube.get(
      {
        apiVersion: CAPI_V1BETA1,
        kind: "Cluster",
        namespace: cluster.metadata.namespace ?? "",
        name: cluster.metadata.name,
      },
      signal,
    );
    return (old?.["status"] as { infrastructureReady?: boolean } | undefined)?.infrastructureReady === true;
  }

  private domainSpec(
    km: KubeObject,
    status: MachineStatus,
    cluster: string,
    machine: string,
  ): DomainSpec & { dir: string; rootBytes: number; dockerBytes?: number } {
    const ns = km.metadata.namespace ?? "";
    const res = ((km["spec"] as { resources?: Resources })?.resources ?? {}) as Resources;
    const subject = `KVMMachine ${ns}/${km.metadata.name}`;
    const memory = parseSize("spec.resources.memory", res.memory);
    const disk = parseSize("spec.resources.disk", res.disk);
    const docker =
      res.dockerVolumeSize === undefined
        ? undefined
        : parseSize("spec.resources.dockerVolumeSize", res.dockerVolumeSize);
    for (const v of [memory, disk, docker])
      if (v instanceof Error) throw new Fault(Reason.DomainProvisionFailed, `${subject}: ${v.message}`);
    const name = status.domain?.name ?? domainName(ns, km.metadata.name, km.metadata.uid ?? "");
    const dir = join(this.d.config.stateDir, name);
    let memoryMiB = Math.max(128, Math.ceil((memory as number) / MiB));
    if (this.d.config.maxMemoryMiB > 0) memoryMiB = Math.min(memoryMiB, this.d.config.maxMemoryMiB);
    const disks = [{ path: join(dir, "root.qcow2"), target: "vda", format: "qcow2" as const }];
    if (docker !== undefined) disks.push({ path: join(dir, "docker.qcow2"), target: "vdb", format: "qcow2" as const });
    return {
      name,
      ...(status.domain?.uuid ? { uuid: status.domain.uuid } : {}),
      type: this.d.config.domainType,
      vcpus: Math.max(1, res.cpu ?? 1),
      memoryMiB,
      boot: {
        kernel: this.d.config.boot.kernel,
        initrd: this.d.config.boot.initrd,
        cmdline: `console=ttyS0 quiet panic=-1 bosun.name=${ns}/${km.metadata.name} bosun.modules=ata_piix,sr_mod,isofs,virtio_pci,virtio_blk,button,evdev`,
      },
      disks,
      configDrive: join(dir, "cidata.iso"),
      serialLog: join(dir, "serial.log"),
      metadata: { namespace: ns, name: km.metadata.name, uid: km.metadata.uid ?? "", cluster, machine },
      title: `KVMMachine ${ns}/${km.metadata.name}`,
      dir,
      rootBytes: disk as number,
      ...(docker !== undefined ? { dockerBytes: docker as number } : {}),
    };
  }

  /**
   * The domain, running: found by name (or by the providerID's UUID after a move), else created; started when
   * stopped.
   */
  private async ensureDomain(
    km: KubeObject,
    status: MachineStatus,
    spec: ReturnType<MachineReconciler["domainSpec"]>,
    bootstrap: string,
    signal?: AbortSignal,
  ): Promise<{ domain: DomainInfo; created: boolean }> {
    const { libvirt, events } = this.d;
    let domain = await libvirt.getDomain(spec.name, signal);
    const byId = parseProviderID((km["spec"] as { providerID?: string })?.providerID);
    if (!domain && byId) {
      const other = await libvirt.domainNameByUuid(byId.uuid, signal);
      if (other) domain = await libvirt.getDomain(other, signal);
    }
    let created = false;
    if (!domain) {
      if (status.domain?.uuid) {
        await events.record(
          km,
          "Warning",
          Reason.DomainRecreated,
          `domain ${spec.name} (${status.domain.uuid}) is gone from libvirt (removed out of band); recreating it with the same UUID`,
          this.d.now(),
        );
      }
      await this.ensureDisks(spec, signal);
      await this.configDrive(km, spec, bootstrap, signal);
      try {
        await libvirt.defineDomain(spec, signal);
      } catch (err) {
        throw asFault(err, Reason.DomainProvisionFailed);
      }
      this.d.metrics.domainsCreated.inc();
      created = true;
      if (this.d.config.failpoint === "after-define") {
        this.d.log.warn({ domain: spec.name }, "failpoint after-define reached");
        await new Promise<never>(() => undefined);
      }
      domain = (await libvirt.getDomain(spec.name, signal)) as DomainInfo;
      if (!status.domain?.uuid)
        await events.record(
          km,
          "Normal",
          Reason.DomainCreated,
          `defined domain ${spec.name} (${domain.uuid}, type ${String(domain.type)})`,
          this.d.now(),
        );
    } else {
      if (!domain.persistent) {
        // Undefined while running: it would vanish at its next stop. Define it again (same name and UUID).
        await events.record(
          km,
          "Warning",
          Reason.DomainRecreated,
          `domain ${domain.name} (${domain.uuid}) was undefined out of band (it still runs, transient); defining it again`,
          this.d.now(),
        );
        try {
          await libvirt.defineDomain({ ...spec, name: domain.name, uuid: domain.uuid }, signal);
        } catch (err) {
          throw asFault(err, Reason.DomainProvisionFailed);
        }
        domain = (await libvirt.getDomain(domain.name, signal)) ?? domain;
      }
      // Disks removed by hand under a defined domain: make them again before starting it.
      await this.ensureDisks(spec, signal);
      await stat(spec.configDrive as string).catch(() => this.configDrive(km, spec, bootstrap, signal));
    }
    if (domain.state !== "running") {
      if (!created && status.vmState === "running")
        await events.record(
          km,
          "Warning",
          Reason.DomainStopped,
          `domain ${domain.name} was ${domain.state} (stopped out of band); starting it again`,
          this.d.now(),
        );
      try {
        await libvirt.startDomain(domain.name, signal);
      } catch (err) {
        if (!(isLibvirtError(err, "refused") && /already active/i.test(err.message)))
          throw asFault(err, Reason.DomainProvisionFailed);
      }
      domain = (await libvirt.getDomain(domain.name, signal)) ?? domain;
    }
    return { domain, created };
  }

  private async ensureDisks(spec: ReturnType<MachineReconciler["domainSpec"]>, signal?: AbortSignal): Promise<void> {
    const sizes = [spec.rootBytes, spec.dockerBytes];
    try {
      await mkdir(spec.dir, { recursive: true, mode: 0o755 });
      for (const [i, d] of spec.disks.entries()) {
        if (
          await stat(d.path).then(
            () => true,
            () => false,
          )
        )
          continue;
        await createQcow2(d.path, sizes[i] as number, signal ? { signal } : {});
      }
    } catch (err) {
      throw new Fault(
        Reason.DiskCreateFailed,
        `cannot create the disks of domain ${spec.name} in ${spec.dir}: ${(err as Error).message}`,
        err,
      );
    }
  }

  private async configDrive(
    km: KubeObject,
    spec: ReturnType<MachineReconciler["domainSpec"]>,
    bootstrap: string,
    signal?: AbortSignal,
  ): Promise<void> {
    try {
      await writeConfigDrive(
        spec.configDrive as string,
        {
          userData: bootstrap,
          metaData: `instance-id: ${km.metadata.uid ?? spec.name}\nlocal-hostname: ${km.metadata.name}\n`,
        },
        signal ? { signal } : {},
      );
    } catch (err) {
      throw new Fault(
        Reason.ConfigDriveFailed,
        `cannot write the config drive of domain ${spec.name}: ${(err as Error).message}`,
        err,
      );
    }
  }

  private async reconcileDelete(km: KubeObject, signal?: AbortSignal): Promise<Outcome> {
    if (!km.metadata.finalizers?.includes(MACHINE_FINALIZER)) return {};
    const status = (km["status"] ?? {}) as MachineStatus;
    const ns = km.metadata.namespace ?? "";
    const name = status.domain?.name ?? domainName(ns, km.metadata.name, km.metadata.uid ?? "");
    try {
      try {
        await this.d.libvirt.removeDomain(name, signal);
      } catch (err) {
        throw asFault(err, Reason.DomainDeleteFailed);
      }
      await rm(join(this.d.config.stateDir, name), { recursive: true, force: true });
    } catch (err) {
      return this.fault(km, status, err, signal);
    }
    this.d.metrics.domainsDeleted.inc();
    await this.d.events.record(
      km,
      "Normal",
      Reason.DomainDeleted,
      `removed domain ${name} and its disks`,
      this.d.now(),
    );
    await this.d.kube.mergePatch(
      machineRef(km),
      {
        metadata: {
          finalizers: (km.metadata.finalizers ?? []).filter((f) => f !== MACHINE_FINALIZER),
          resourceVersion: km.metadata.resourceVersion,
        },
      },
      { fieldManager: FIELD_MANAGER, ...(signal ? { signal } : {}) },
    );
    this.d.log.info({ machine: `${ns}/${km.metadata.name}`, domain: name }, "domain and disks removed");
    return {};
  }

  private async waiting(km: KubeObject, reason: string, message: string, signal?: AbortSignal): Promise<Outcome> {
    const status = (km["status"] ?? {}) as MachineStatus;
    const now = this.d.now();
    let conditions = setCondition(
      status.conditions,
      { type: DOMAIN_READY, status: "False", severity: "Info", reason, message },
      now,
    );
    conditions = setCondition(conditions, { type: READY, status: "False", severity: "Info", reason, message }, now);
    await this.writeStatus(
      km,
      { ...keep(status), ready: false, vmState: status.vmState ?? "pending", conditions },
      signal,
    );
    return { requeueMs: WAIT_MS };
  }

  private async fault(km: KubeObject, status: MachineStatus, err: unknown, signal?: AbortSignal): Promise<Outcome> {
    const f = err instanceof Fault ? err : asFault(err, Reason.DomainProvisionFailed);
    const ns = km.metadata.namespace ?? "";
    const message = `KVMMachine ${ns}/${km.metadata.name}: ${f.message}`;
    this.d.log.warn({ machine: `${ns}/${km.metadata.name}`, reason: f.reason, err: f.message }, "reconcile failed");
    this.d.metrics.reconcileErrors.inc({ controller: MACHINE_CONTROLLER, reason: f.reason });
    await this.d.events.record(km, "Warning", f.reason, message, this.d.now());
    const now = this.d.now();
    let conditions = setCondition(
      status.conditions,
      { type: DOMAIN_READY, status: "False", severity: "Error", reason: f.reason, message },
      now,
    );
    conditions = setCondition(
      conditions,
      { type: READY, status: "False", severity: "Error", reason: f.reason, message },
      now,
    );
    try {
      await this.writeStatus(
        km,
        {
          ...keep(status),
          ready: false,
          vmState: f.reason === Reason.LibvirtUnavailable ? "unknown" : "failed",
          failureReason: f.reason,
          failureMessage: message,
          conditions,
        },
        signal,
      );
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    return { error: `${f.reason}: ${f.message}` };
  }

  /** Server-side apply of the whole status (fields left out are dropped: a cleared failureReason goes). */
  private async writeStatus(km: KubeObject, status: MachineStatus, signal?: AbortSignal): Promise<void> {
    await this.d.kube.applyStatus(
      {
        apiVersion: INFRA_API_VERSION,
        kind: "KVMMachine",
        metadata: { name: km.metadata.name, namespace: km.metadata.namespace },
        status,
      },
      { fieldManager: FIELD_MANAGER, force: true, ...(signal ? { signal } : {}) },
    );
  }
}

/** What a waiting or failed machine keeps of its status: the domain it has (so a later run finds it) and its ID. */
function keep(s: MachineStatus): MachineStatus {
  return {
    ...(s.domain ? { domain: s.domain } : {}),
    ...(s.initialization ? { initialization: s.initialization } : {}),
  };
}

function asFault(err: unknown, fallback: string): Fault {
  if (err instanceof Fault) return err;
  if (isLibvirtError(err)) {
    const e = err as LibvirtError;
    if (e.kind === "unavailable")
      return new Fault(Reason.LibvirtUnavailable, `libvirt is unavailable: ${e.message}`, e);
    if (e.kind === "disk") return new Fault(Reason.DiskCreateFailed, e.message, e);
    if (e.kind === "config-drive") return new Fault(Reason.ConfigDriveFailed, e.message, e);
    return new Fault(fallback, e.message, e);
  }
  return new Fault(fallback, (err as Error)?.message ?? String(err), err);
}

export function isPaused(o: KubeObject): boolean {
  return o.metadata.annotations?.[PAUSED_ANNOTATION] !== undefined;
}

export function isClusterPaused(cluster: KubeObject): boolean {
  return isPaused(cluster) || (cluster["spec"] as { paused?: boolean } | undefined)?.paused === true;
}

export function machineRef(km: KubeObject): { apiVersion: string; kind: string; namespace: string; name: string } {
  return {
    apiVersion: INFRA_API_VERSION,
    kind: "KVMMachine",
    namespace: km.metadata.namespace ?? "",
    name: km.metadata.name,
  };
}
