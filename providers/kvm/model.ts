/**
 * Names the KVM provider shares with Cluster API and its own CRDs
 * (deploy/crds/infrastructure.cluster.x-k8s.io_kvm*.yaml).
 */
export const INFRA_API_VERSION = "infrastructure.cluster.x-k8s.io/v1beta1";
export const CAPI_GROUP = "cluster.x-k8s.io";
/** The storage version of the CAPI core CRDs (v1.14); v1beta1 is still served. */
export const CAPI_API_VERSION = "cluster.x-k8s.io/v1beta2";
export const CAPI_V1BETA1 = "cluster.x-k8s.io/v1beta1";
export const CLUSTER_NAME_LABEL = "cluster.x-k8s.io/cluster-name";
export const PAUSED_ANNOTATION = "cluster.x-k8s.io/paused";
/** One finalizer per controller (operatorkit's rule). */
export const MACHINE_FINALIZER = "kvmmachine.infrastructure.cluster.x-k8s.io";
export const CLUSTER_FINALIZER = "kvmcluster.infrastructure.cluster.x-k8s.io";
export const FIELD_MANAGER = "bosun-kvm-provider";
export const PROVIDER_ID_SCHEME = "kvm";

export interface Resources {
  readonly cpu: number;
  readonly memory: string | number;
  readonly disk: string | number;
  readonly dockerVolumeSize?: string | number;
}

/** CAPI v1beta1-style condition (with severity), as the CRDs declare it. */
export interface Condition {
  readonly type: string;
  readonly status: "True" | "False" | "Unknown";
  readonly severity?: "Error" | "Warning" | "Info" | "";
  readonly reason?: string;
  readonly message?: string;
  readonly lastTransitionTime: string;
}

/** Condition types the machine controller writes. */
export const DOMAIN_READY = "DomainReady";
export const READY = "Ready";

/** Reasons (stable; tests, Events and alerts key on them). */
export const Reason = {
  WaitingForMachine: "WaitingForMachineOwner",
  WaitingForCluster: "WaitingForCluster",
  WaitingForClusterInfrastructure: "WaitingForClusterInfrastructure",
  WaitingForBootstrapData: "WaitingForBootstrapData",
  DomainProvisioning: "DomainProvisioning",
  DomainRunning: "DomainRunning",
  LibvirtUnavailable: "LibvirtUnavailable",
  DiskCreateFailed: "DiskCreateFailed",
  ConfigDriveFailed: "ConfigDriveFailed",
  DomainProvisionFailed: "DomainProvisionFailed",
  DomainStopped: "DomainStopped",
  DomainRecreated: "DomainRecreated",
  DomainCreated: "DomainCreated",
  DomainDeleted: "DomainDeleted",
  DomainDeleteFailed: "DomainDeleteFailed",
  Deleting: "Deleting",
  WaitingForControlPlaneEndpoint: "WaitingForControlPlaneEndpoint",
  Ready: "Ready",
} as const;
