/**
 * What the WorkloadCluster controller needs from its backend (`sinks/workload-cluster`): the
 * management clusters by name (Cluster API objects live there), the KVM hosts' libvirt domains
 * (live inventory), and the WorkloadCluster records with their status. Implementations throw
 * `SinkError`s (transient, permanent, conflict).
 */
import type { JsonObject } from "../../model/object-ref.ts";
import { portKey } from "../../reconcile/ports.ts";

/** An object on a management cluster (namespaced: every Cluster API object of a workload cluster is). */
export interface ClusterObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** One management cluster: the Kubernetes API the Cluster API objects are applied to. */
export interface ManagementCluster {
  readonly name: string;
  /** The CustomResourceDefinitions it serves (their schemas validate rendered objects). */
  crds(signal: AbortSignal): Promise<JsonObject[]>;
  /** Server-side apply (field manager `bosun`, forced); returns the live object. */
  apply(object: JsonObject, signal: AbortSignal): Promise<JsonObject>;
  get(ref: ClusterObjectRef, signal: AbortSignal): Promise<JsonObject | undefined>;
  /** Objects of one kind in a namespace, optionally by label selector (`a=b,c=d`); [] when the kind is not served. */
  list(
    apiVersion: string,
    kind: string,
    namespace: string,
    labelSelector: string | undefined,
    signal: AbortSignal,
  ): Promise<JsonObject[]>;
  /** Creates an object as given (the move copies objects); returns the live object. */
  create(object: JsonObject, signal: AbortSignal): Promise<JsonObject>;
  /** Replaces the status subresource (resourceVersion of `object` is ignored). */
  writeStatus(object: JsonObject, signal: AbortSignal): Promise<JsonObject>;
  /** JSON merge patch; undefined when the object is gone. */
  patch(ref: ClusterObjectRef, patch: JsonObject, signal: AbortSignal): Promise<JsonObject | undefined>;
  /** Deletes (background propagation); an object already gone is fine. */
  remove(ref: ClusterObjectRef, signal: AbortSignal, propagation?: "Background" | "Orphan"): Promise<void>;
}

/** A libvirt domain as the hypervisor inventory sees it. */
export interface LiveDomain {
  readonly host: string;
  readonly name: string;
  /** libvirt's state word: running, shut off, paused, … */
  readonly state: string;
}

/** The KVM hosts the provider runs domains on, read as live inventory. */
export interface Hypervisors {
  hosts(): readonly string[];
  /** Every domain on one host; throws a SinkError when the host cannot be read. */
  domains(host: string, signal: AbortSignal): Promise<LiveDomain[]>;
}

export interface WorkloadClusterPort {
  /** The management cluster of that name from the engine config, or undefined. */
  managementCluster(name: string): ManagementCluster | undefined;
  managementClusterNames(): readonly string[];
  /** Absent when the engine config names no KVM hosts. */
  readonly hypervisors?: Hypervisors;
  /** The WorkloadCluster record's status (in the engine's cluster), undefined when it has none. */
  readStatus(ref: ClusterObjectRef, signal: AbortSignal): Promise<JsonObject | undefined>;
  writeStatus(ref: ClusterObjectRef, status: JsonObject, signal: AbortSignal): Promise<void>;
}

export const WORKLOAD_CLUSTERS = portKey<WorkloadClusterPort>("workload-clusters");
