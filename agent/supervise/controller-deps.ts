/**
 * What a ProcessController needs from the agent (ports), and the pure helpers it decides with:
 * the spec hash (what a change restarts) and the image reference of an oci artifact.
 */
import { createHash } from "node:crypto";
import type { Logger } from "../log.ts";
import type { BackendName, DeviceProcess, DeviceProcessStatus, ObjectMeta } from "../model.ts";
import type { Backend } from "../backends/types.ts";
import type { EventReason } from "../kube/events.ts";
import type { RecordStore } from "./record.ts";
import type { BackoffConfig } from "./restart-policy.ts";

export interface ControllerDeps {
  backend(name: BackendName): Backend;
  records: RecordStore;
  fetchArtifact(dp: DeviceProcess, signal: AbortSignal): Promise<{ path: string; sha256: string }>;
  pruneArtifacts(key: string, keep: string[]): Promise<void>;
  resolveEnv(dp: DeviceProcess, signal: AbortSignal): Promise<Record<string, string>>;
  publish(meta: ObjectMeta, status: DeviceProcessStatus): void;
  event(meta: ObjectMeta, type: "Normal" | "Warning", reason: EventReason, message: string): void;
  log: Logger;
  stopTimeoutSec: number;
  monitorIntervalMs(backend: BackendName): number;
  restartBackoff: BackoffConfig;
  artifactBackoff: BackoffConfig;
  capabilities(dp: DeviceProcess): string[];
}

/** What a change of spec restarts: artifact, execution, restart policy, resources (not the health check). */
export function specHash(dp: DeviceProcess, env: Record<string, string>): string {
  const { artifact, execution, restartPolicy, resources } = dp.spec;
  return createHash("sha256")
    .update(JSON.stringify({ artifact, execution, restartPolicy, resources, env }))
    .digest("hex")
    .slice(0, 32);
}

/** The image an oci artifact names, pinned to its digest: `repo@sha256:<checksumSHA256>`. */
export function ociImage(dp: DeviceProcess): string {
  const url = dp.spec.artifact.url.replace(/^oci:\/\//, "");
  const repo = url.includes("@") ? url.slice(0, url.indexOf("@")) : url.replace(/:[^/:]+$/, "");
  return `${repo}@sha256:${dp.spec.artifact.checksumSHA256}`;
}
