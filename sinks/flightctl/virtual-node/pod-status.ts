/**
 * A Pod's status mirrored from what its device reports (pure): phase, conditions and
 * containerStatuses from the applications' states, the device named in the message.
 */
import type { AppState } from "../../../engine/kinds/edge-workload/ports.ts";

type Json = Record<string, unknown>;

export interface PodView {
  readonly namespace: string;
  readonly name: string;
  readonly containers: readonly Json[];
  readonly restartPolicy: string;
}

/** `container name → application name` on the device. */
export function appNames(pod: PodView): Map<string, string> {
  const base = `${pod.namespace}-${pod.name}`;
  return new Map(
    pod.containers.map((c) => [String(c["name"]), pod.containers.length === 1 ? base : `${base}-${String(c["name"])}`]),
  );
}

export function podStatus(input: {
  readonly pod: PodView;
  readonly device: string;
  readonly states: Readonly<Record<string, AppState>>;
  readonly reachable: boolean;
  readonly since: string;
  readonly now: string;
}): Json {
  const { pod, device, since, now } = input;
  const names = appNames(pod);
  const containerStatuses = pod.containers.map((c) => {
    const app = names.get(String(c["name"]))!;
    const s = input.states[app] ?? "Unknown";
    const state =
      s === "Running"
        ? { running: { startedAt: since } }
        : s === "Error"
          ? { terminated: { exitCode: 1, reason: "Error", message: `application ${app} reported Error on ${device}` } }
          : s === "Completed"
            ? { terminated: { exitCode: 0, reason: "Completed" } }
            : {
                waiting: {
                  reason: s === "Preparing" || s === "Starting" ? "ContainerCreating" : s,
                  message: `application ${app}: ${s}`,
                },
              };
    return {
      name: String(c["name"]),
      image: String(c["image"]),
      imageID: "",
      containerID: `flightctl://${device}/${app}`,
      ready: s === "Running" && input.reachable,
      started: s === "Running",
      restartCount: 0,
      state,
    };
  });
  const all = (s: AppState): boolean => pod.containers.every((c) => input.states[names.get(String(c["name"]))!] === s);
  const anyError = pod.containers.some((c) => input.states[names.get(String(c["name"]))!] === "Error");
  const phase = all("Running") ? "Running" : anyError ? "Failed" : all("Completed") ? "Succeeded" : "Pending";
  const ready = phase === "Running" && input.reachable;
  const cond = (type: string, ok: boolean, reason?: string, message?: string): Json => ({
    type,
    status: ok ? "True" : "False",
    lastTransitionTime: now,
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
  });
  const notReady = input.reachable ? undefined : "DeviceUnreachable";
  return {
    phase,
    message: `on Flightctl device ${device}${input.reachable ? "" : " (not seen recently: unreachable)"}`,
    reason: input.reachable ? undefined : "DeviceUnreachable",
    startTime: since,
    conditions: [
      cond("PodScheduled", true),
      cond("Initialized", true),
      cond("ContainersReady", ready, notReady),
      cond("Ready", ready, notReady, ready ? undefined : `device ${device}`),
    ],
    containerStatuses,
  };
}

/** A Pod that no device can take now. */
export function unschedulableStatus(message: string, now: string): Json {
  return {
    phase: "Pending",
    conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message, lastTransitionTime: now }],
  };
}
