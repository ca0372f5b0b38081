/**
 * The Flightctl v1beta1 types Bosun uses (`../shared/specs/flightctl/openapi.yaml`, written by
 * hand for the subset Bosun reads and writes; `test/contract/flightctl.int.test.ts` checks them
 * against the spec's schemas). Unknown fields of objects read from the server are kept.
 */

export const FLIGHTCTL_API_VERSION = "flightctl.io/v1beta1";

export interface ObjectMeta {
  name?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  generation?: number;
  /** Opaque int string; sent back on update, a mismatch is a 409. */
  resourceVersion?: string;
  /** `Kind/name`, set by the server (a fleet's devices: `Fleet/<name>`). */
  owner?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
}

export interface ListMeta {
  continue?: string;
  remainingItemCount?: number;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** `appType: container`: one OCI image run by the device agent (podman). */
export interface ContainerApplication {
  appType: "container";
  name: string;
  image: string;
  envVars?: Record<string, string>;
  /** `hostPort:containerPort`. */
  ports?: string[];
  resources?: { limits?: { cpu?: string; memory?: string } };
  [extra: string]: unknown;
}

/** Any application provider; Bosun writes `container` ones and keeps the others as they are. */
export type ApplicationProviderSpec =
  ContainerApplication | ({ appType: string; name?: string } & Record<string, unknown>);

export interface DeviceSpec {
  os?: { image: string };
  applications?: ApplicationProviderSpec[];
  [extra: string]: unknown;
}

export type ApplicationStatusType =
  "Preparing" | "Starting" | "Running" | "Error" | "Unknown" | "Completed" | "Stopped" | "Stopping";

export interface DeviceApplicationStatus {
  name: string;
  ready: string;
  restarts: number;
  status: ApplicationStatusType;
  embedded: boolean;
  appType: string;
  [extra: string]: unknown;
}

export type DeviceSummaryStatusType =
  "Online" | "Degraded" | "Error" | "Rebooting" | "PoweredOff" | "Unknown" | "AwaitingReconnect" | "ConflictPaused";

export type DeviceUpdatedStatusType = "UpToDate" | "OutOfDate" | "Updating" | "Unknown";

export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface DeviceStatus {
  conditions: Condition[];
  systemInfo: {
    architecture: string;
    bootID: string;
    operatingSystem: string;
    agentVersion: string;
    [k: string]: unknown;
  };
  applications: DeviceApplicationStatus[];
  applicationsSummary: { status: string; info?: string };
  resources: { cpu: string; memory: string; disk: string };
  integrity: { status: string; [k: string]: unknown };
  config: { renderedVersion: string };
  os: { image: string; imageDigest: string };
  updated: { status: DeviceUpdatedStatusType; info?: string };
  summary: { status: DeviceSummaryStatusType; info?: string };
  lifecycle: { status: string; info?: string };
  lastSeen?: string;
  [extra: string]: unknown;
}

export interface Device {
  apiVersion: string;
  kind: "Device";
  metadata: ObjectMeta;
  spec?: DeviceSpec;
  status?: DeviceStatus;
}

export interface BatchSequence {
  strategy: "BatchSequence";
  sequence: { selector?: LabelSelector; limit?: number | string; successThreshold?: string }[];
}

export interface RolloutPolicy {
  deviceSelection?: BatchSequence;
  disruptionBudget?: { groupBy?: string[]; minAvailable?: number; maxUnavailable?: number };
  successThreshold?: string;
  defaultUpdateTimeout?: string;
}

export interface FleetSpec {
  selector?: LabelSelector;
  template: { metadata?: ObjectMeta; spec: DeviceSpec };
  rolloutPolicy?: RolloutPolicy;
}

export interface DevicesSummary {
  total: number;
  applicationStatus: Record<string, number>;
  summaryStatus: Record<string, number>;
  updateStatus: Record<string, number>;
}

export interface FleetStatus {
  conditions: Condition[];
  rollout?: { currentBatch?: number };
  devicesSummary?: DevicesSummary;
}

export interface Fleet {
  apiVersion: string;
  kind: "Fleet";
  metadata: ObjectMeta;
  spec: FleetSpec;
  status?: FleetStatus;
}

export interface List<T> {
  apiVersion: string;
  kind: string;
  metadata: ListMeta;
  items: T[];
}

/** The body of every non-2xx answer (and of a DELETE's 200). */
export interface Status {
  apiVersion: string;
  kind: "Status";
  status: "Success" | "Failure";
  code: number;
  reason: string;
  message: string;
}

/** Annotations the fleet controller keeps on a fleet (api/core/v1beta1/consts.go). */
export const FLEET_ANNOTATIONS = {
  templateVersion: "fleet-controller/templateVersion",
  deployingTemplateVersion: "fleet-controller/deployingTemplateVersion",
  batchNumber: "fleet-controller/batchNumber",
  rolloutApproved: "fleet-controller/rolloutApproved",
  rolloutApprovalMethod: "fleet-controller/rolloutApprovalMethod",
} as const;

/** Annotations the server keeps on a device. */
export const DEVICE_ANNOTATIONS = {
  templateVersion: "fleet-controller/templateVersion",
  renderedTemplateVersion: "fleet-controller/renderedTemplateVersion",
  renderedVersion: "device-controller/renderedVersion",
  selectedForRollout: "fleet-controller/selectedForRollout",
} as const;
