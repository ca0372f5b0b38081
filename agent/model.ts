/**
 * The DeviceProcess resource as the agent sees it (azure.com/v1alpha1, schemas/DeviceProcess.json)
 * and the status it writes back. Plain data; no behaviour.
 */

export const GROUP = "azure.com";
export const VERSION = "v1alpha1";
export const PLURAL = "deviceprocesses";
export const KIND = "DeviceProcess";
/** Label the engine puts on every DeviceProcess it schedules to a device. */
export const DEVICE_LABEL = "bosun.dev/device";
/** Event source component (seed 004's `kubectl describe` output). */
export const COMPONENT = "device-agent";

export type BackendName = "systemd" | "initd" | "container" | "exec";
export type RestartPolicy = "Always" | "OnFailure" | "Never";
export type ArtifactType = "oci" | "http" | "file";

export interface KeyRef {
  name: string;
  key: string;
}
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: KeyRef; configMapKeyRef?: KeyRef };
}

export interface ArtifactSpec {
  type: ArtifactType;
  url: string;
  checksumSHA256: string;
  version?: string;
  pullSecretRef?: { name: string };
}

export interface ExecutionSpec {
  backend: BackendName;
  command: string[];
  args?: string[];
  env?: EnvVar[];
  workingDir?: string;
  user?: string;
}

export interface HealthCheckSpec {
  exec?: { command: string[] };
  http?: { port: number; path?: string; scheme?: "HTTP" | "HTTPS" };
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

export interface ResourceList {
  cpu?: string | number;
  memory?: string | number;
}

export interface DeviceProcessSpec {
  deviceRef: { kind: string; name: string };
  artifact: ArtifactSpec;
  execution: ExecutionSpec;
  restartPolicy?: RestartPolicy;
  healthCheck?: HealthCheckSpec;
  resources?: { limits?: ResourceList; requests?: ResourceList };
}

export type Phase = "Pending" | "Running" | "Succeeded" | "Failed" | "Unknown";
export type ConditionType = "ArtifactDownloaded" | "ProcessStarted" | "Healthy";

export interface Condition {
  type: ConditionType;
  status: "True" | "False" | "Unknown";
  lastTransitionTime: string;
  reason?: string;
  message?: string;
}

export interface DeviceProcessStatus {
  phase: Phase;
  conditions: Condition[];
  artifactVersion?: string;
  pid?: number;
  startTime?: string;
  restartCount: number;
  lastTerminationReason: string;
  observedGeneration?: number;
  message?: string;
}

export interface ObjectMeta {
  name: string;
  namespace: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  deletionTimestamp?: string;
}

export interface DeviceProcess {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: DeviceProcessSpec;
  status?: Partial<DeviceProcessStatus>;
}

/** "namespace/name": how a DeviceProcess is named in logs, errors and the state dir. */
export function dpKey(meta: { namespace: string; name: string }): string {
  return `${meta.namespace}/${meta.name}`;
}

/** A file-system and unit-name safe form of a key: "infra/switch-agent" → "infra_switch-agent". */
export function safeName(key: string): string {
  return key.replace(/[^A-Za-z0-9_.-]/g, "_");
}
