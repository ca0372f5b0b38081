/** Plain-data inputs for the dashboard's read model: a fleet, a pass report, a fake live cache. */
import type { Change, DesiredState, FleetObject, ObjectStatus, PassReport, RolloutReport } from "../../engine/index.ts";
import type { UiLiveSource } from "../../app/ui/index.ts";

export const SECRET_PLAIN = "hunter2-very-secret-password";
export const SECRET_B64 = Buffer.from(SECRET_PLAIN).toString("base64");
export const STRING_SECRET = "stringdata-api-key-0f9e8d7c";

export function object(apiVersion: string, kind: string, namespace: string, name: string, body = {}): FleetObject {
  return {
    apiVersion,
    kind,
    namespace,
    name,
    body: { apiVersion, kind, metadata: { name, namespace }, ...body },
    source: { file: `fleet/${name}.yaml`, line: 1, col: 1 },
  };
}

export const deployment = object("azure.com/v1alpha1", "DeviceProcessDeployment", "infra", "switch-agent", {
  spec: { updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 2 } } },
});
export const secret = object("v1", "Secret", "infra", "db-credentials", {
  data: { password: SECRET_B64 },
  stringData: { apiKey: STRING_SECRET },
});
export const configMap = object("v1", "ConfigMap", "infra", "settings", { data: { level: "debug" } });
export const farAgent = object("agents.tinkerbell.io/v1alpha1", "FARAgent", "agents", "far-1");

export function desiredOf(objects: readonly FleetObject[]): DesiredState {
  return { objects, approvals: [], config: {} } as unknown as DesiredState;
}

export function statusOf(o: FleetObject, phase: string, extra: Partial<ObjectStatus> = {}): ObjectStatus {
  return {
    kind: o.kind,
    namespace: o.namespace,
    name: o.name,
    source: `${o.source.file}:${o.source.line}`,
    observedCommit: "c0ffee0000000000000000000000000000000000",
    planDigest: "sha256:plan-1",
    phase,
    ...extra,
  };
}

export function rolloutWaiting(): RolloutReport {
  const status = statusOf(deployment, "WaitingForApproval", {
    counts: { desired: 12, current: 12, ready: 4, available: 4, unavailable: 8, updated: 4, failing: 0 },
    waves: [
      { name: "canary", state: "done", approval: "auto", total: 4, updated: 4, ready: 4, failed: 0, unreachable: 0 },
      {
        name: "fleet",
        state: "waiting-approval",
        approval: "required",
        total: 8,
        updated: 0,
        ready: 0,
        failed: 0,
        unreachable: 0,
      },
    ],
  });
  return {
    object: deployment,
    status,
    progressing: false,
    summary: "switch-agent: WaitingForApproval 4/12 updated",
    waiting: "wave fleet waits for approval of revision abc",
  };
}

export function change(o: FleetObject, action: Change["action"], reason: string, fields?: Change["fields"]): Change {
  return {
    action,
    ref: { apiVersion: o.apiVersion, kind: o.kind, namespace: o.namespace, name: o.name },
    reason,
    ...(fields ? { fields } : {}),
  };
}

export function report(changes: readonly Change[], rollouts: readonly RolloutReport[] = []): PassReport {
  return { commit: "c0ffee0000000000000000000000000000000000", changes, rollouts, progressing: false };
}

/** A live cache with `n` switches, every third one's process not ready. */
export function fakeLive(n: number): UiLiveSource {
  const devices = Array.from({ length: n }, (_, i) => ({
    kind: "NetworkSwitch",
    name: `sw-${String(i).padStart(6, "0")}`,
    labels: { rack: `rack${i % 50}` },
  }));
  const processes = devices.map((d, i) => ({
    deployment: "switch-agent",
    process: { device: d.name, phase: "Running", healthy: i % 3 !== 0, observed: true },
  }));
  return { devices: () => ({ version: 1, value: devices }), namespaces: () => ["infra"], processesIn: () => processes };
}
