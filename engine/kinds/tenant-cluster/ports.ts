/**
 * What the TenantCluster controller needs of its backend besides the generic Sink (which writes
 * the TenantCluster records): one live snapshot per tenant per pass (the TCP in the parent cluster,
 * the tenant's worker VMs on Proxmox, the tenant's Nodes) and the steps that change it. The
 * `tenant-cluster` backend offers it under `TENANT_FLEET` (sinks/tenant-cluster).
 */
import type { JsonObject, ObjectRef } from "../../model/object-ref.ts";
import { portKey } from "../../reconcile/ports.ts";
import type { TenantCluster } from "./spec.ts";

/** The TenantControlPlane as the parent cluster shows it. */
export interface LiveTcp {
  readonly specVersion: string;
  /** Its spec matches what Bosun would apply (version, replicas, service type, port, addons). */
  readonly inSync: boolean;
  readonly deleting: boolean;
  /** `status.kubernetesResources.version.status` (Provisioning, Ready, Upgrading, …). */
  readonly versionStatus: string | undefined;
  /** `status.kubernetesResources.version.version`: the version running. */
  readonly version: string | undefined;
  /** `status.controlPlaneEndpoint` (`host:port`). */
  readonly endpoint: string | undefined;
  readonly adminSecretName: string | undefined;
}

export interface LiveWorker {
  readonly vmid: number;
  readonly node: string;
  readonly name: string;
  readonly index: number;
  readonly power: "running" | "stopped";
  /** Proxmox lock (`clone`, `create`, …): an operation in flight. */
  readonly lock: string | undefined;
  /** Configured size (what the next boot gets). */
  readonly cores: number | undefined;
  readonly memoryMiB: number | undefined;
  /** Size the guest booted with (description marker); undefined: never started by Bosun. */
  readonly bootedSize: string | undefined;
  /** cloud-init user data of this tenant is set (cicustom). */
  readonly joinConfigured: boolean;
  readonly diskGiB: number | undefined;
  /** Proxmox metrics: CPU as a fraction of the VM's cores, memory in bytes. */
  readonly cpu: number | undefined;
  readonly memBytes: number | undefined;
  readonly maxmemBytes: number | undefined;
}

export interface LiveNode {
  readonly name: string;
  readonly ready: boolean;
}

export interface ProxmoxNodeInfo {
  readonly name: string;
  readonly online: boolean;
  readonly maxcpu: number;
  readonly maxmemMiB: number;
}

export interface TenantSnapshot {
  /** undefined: no TCP in the parent cluster. */
  readonly tcp: LiveTcp | undefined;
  /** Kamaji's refusal of the TCP Bosun would apply (dry run), when it differs from the live one. */
  readonly tcpRefusal: string | undefined;
  /** This tenant's worker VMs (proven by description), one per index (duplicates in `duplicates`). */
  readonly workers: readonly LiveWorker[];
  /** Second VMs of an index (a clone repeated around a crash): deleted. */
  readonly duplicates: readonly LiveWorker[];
  /** The tenant's Nodes; undefined while the tenant apiserver cannot be read. */
  readonly nodes: readonly LiveNode[] | undefined;
  readonly proxmoxNodes: readonly ProxmoxNodeInfo[];
  /** The template VM, undefined when it does not exist. */
  readonly template: { readonly vmid: number; readonly node: string } | undefined;
  /** What Bosun last wrote to the TenantCluster's status (read back after a restart). */
  readonly previous: TenantClusterStatus | undefined;
}

export interface VmStatusEntry {
  readonly name: string;
  readonly vmid: number;
  readonly node: string;
  readonly state: string;
  readonly cores?: number;
  readonly memoryMiB?: number;
  readonly nodeReady: boolean;
  /** Percent of the VM's cores in use. */
  readonly cpuPercent?: number;
  readonly memoryBytes?: number;
}

export interface StatusCondition {
  readonly type: string;
  readonly status: "True" | "False" | "Unknown";
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime?: string;
}

/** The TenantCluster status subresource as Bosun writes it (and reads back after a restart). */
export interface TenantClusterStatus {
  readonly phase: string;
  readonly reason?: string;
  readonly message?: string;
  readonly endpoint?: string;
  readonly kubernetesVersion?: string;
  readonly nodesReady: number;
  readonly nodesTotal: number;
  readonly workers: { readonly desired: number; readonly current: number; readonly running: number };
  readonly vms: readonly VmStatusEntry[];
  readonly conditions: readonly StatusCondition[];
  /** Set once the cluster was Ready (later work is Updating, not Provisioning). */
  readonly firstReadyTime?: string;
  readonly lastTransitionTime?: string;
  readonly observedGeneration?: number;
}

/** Join data a worker's cloud-init gets (kubeadm join). Holds a secret: never log it. */
export interface JoinData {
  readonly endpoint: string;
  /** `id.secret` bootstrap token created in the tenant. */
  readonly token: string;
  /** `sha256:<hex>` of the tenant CA's public key. */
  readonly caCertHash: string;
}

export interface TenantFleet {
  snapshot(t: TenantCluster, signal: AbortSignal): Promise<TenantSnapshot>;
  /** Creates or updates the TenantControlPlane (server-side apply). */
  applyTcp(t: TenantCluster, signal: AbortSignal): Promise<void>;
  /** A bootstrap token in the tenant (reused while valid) and the tenant's CA hash and endpoint. */
  joinData(t: TenantCluster, signal: AbortSignal): Promise<JoinData>;
  /** Clones worker `index` from the template onto `node` (waits for the task). */
  cloneWorker(t: TenantCluster, index: number, node: string, signal: AbortSignal): Promise<void>;
  /** Sets size, disk and the cloud-init join data of a stopped worker (waits for the tasks). */
  configureWorker(t: TenantCluster, w: LiveWorker, join: JoinData, signal: AbortSignal): Promise<void>;
  /** Sets cores/memory of a worker (a running one gets them at its next start). */
  resizeWorker(t: TenantCluster, w: LiveWorker, signal: AbortSignal): Promise<void>;
  /** Records the size it boots with, then starts it (waits for the task). */
  startWorker(t: TenantCluster, w: LiveWorker, signal: AbortSignal): Promise<void>;
  /** ACPI shutdown, forced stop after the timeout (waits for the task). */
  shutdownWorker(w: LiveWorker, signal: AbortSignal): Promise<void>;
  /** Removes the worker's Node from the tenant (best effort when the tenant is gone). */
  deleteNode(t: TenantCluster, name: string, signal: AbortSignal): Promise<void>;
  /** Stops (if running) and destroys the VM, purging it. */
  destroyWorker(w: LiveWorker, signal: AbortSignal): Promise<void>;
  writeStatus(ref: ObjectRef, status: TenantClusterStatus, signal: AbortSignal): Promise<void>;
  /** The TenantCluster record's live body (status included), undefined when absent. */
  readRecord?(ref: ObjectRef, signal: AbortSignal): Promise<JsonObject | undefined>;
}

export const TENANT_FLEET = portKey<TenantFleet>("tenant-cluster/fleet");

/** A step on a worker or the control plane that failed, with the status reason it gives. */
export class TenantStepError extends Error {
  constructor(
    /** Status reason, e.g. `ProxmoxTaskFailed`, `ProxmoxUnavailable`, `ProxmoxTimeout`, `TenantUnreachable`. */
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "TenantStepError";
  }
}
