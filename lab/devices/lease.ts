/**
 * Heartbeat Lease of a simulated device (pure): the same object the real agent writes
 * (agent/kube/lease.ts): coordination.k8s.io/v1 Lease `bosun-device-<device>`, holderIdentity the
 * device, renewTime as a MicroTime, labelled `bosun.dev/device`.
 */
import type { KubeObject } from "../../clients/kubernetes/types.ts";
import { DEVICE_LABEL } from "./process-view.ts";
import { SIM_LABEL } from "./device-object.ts";

export const leaseName = (device: string): string => `bosun-device-${device}`;

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

export function leaseObject(
  device: string,
  namespace: string,
  durationSeconds: number,
  acquiredAt: number,
  renewedAt: number,
): KubeObject {
  return {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name: leaseName(device), namespace, labels: { [DEVICE_LABEL]: device, [SIM_LABEL]: "true" } },
    spec: {
      holderIdentity: device,
      leaseDurationSeconds: durationSeconds,
      acquireTime: microTime(acquiredAt),
      renewTime: microTime(renewedAt),
    },
  };
}

/**
 * When device number `index` of `count` renews: spread evenly over the interval so the renewal load
 * is flat (count / interval per second) instead of a burst every interval.
 */
export function renewOffsetMs(index: number, count: number, intervalMs: number): number {
  return count <= 0 ? 0 : Math.floor((index * intervalMs) / count);
}

export interface HeartbeatPlan {
  readonly intervalMs: number;
  readonly durationSeconds: number;
}

/**
 * Renewal interval and lease duration for `count` devices under a client rate limit of `qps`:
 * renewals may take at most `budgetShare` of the QPS (default 20 %), so the interval grows with the
 * fleet (10,000 devices at 50 QPS → 1000 s); the lease lasts 2.5 intervals so one late renewal does
 * not make a device look unreachable.
 */
export function heartbeatPlan(
  count: number,
  qps: number,
  wanted: { intervalMs?: number; durationSeconds?: number; budgetShare?: number } = {},
): HeartbeatPlan {
  const share = wanted.budgetShare ?? 0.2;
  const floor = count > 0 ? Math.ceil((count / (qps * share)) * 1000) : 0;
  const intervalMs = Math.max(wanted.intervalMs ?? 120_000, floor);
  const durationSeconds = Math.max(wanted.durationSeconds ?? 300, Math.ceil((intervalMs * 2.5) / 1000));
  return { intervalMs, durationSeconds };
}
