import { describe, expect, it } from "vitest";
import type { EdgeDevice } from "../../../engine/kinds/edge-workload/ports.ts";
import { nodeCapacity, placePod, podRequests } from "./placement.ts";
import { podStatus } from "./pod-status.ts";

const device = (name: string, labels: Record<string, string>, cpu: number, owner?: string): EdgeDevice => ({
  name,
  labels,
  ...(owner ? { owner } : {}),
  applications: [],
  appOwners: {},
  appStates: {},
  settled: true,
  lastSeenMs: 0,
  summary: "Online",
  capacity: { cpuMilli: cpu * 1000, memoryBytes: 2 ** 30 },
  resourceVersion: "1",
});

const nodeLabels = { type: "virtual-kubelet", "kubernetes.io/hostname": "vk" };

describe("virtual node placement", () => {
  const devices = [
    device("a", { zone: "a" }, 1),
    device("b", { zone: "b" }, 1),
    device("c", { zone: "b" }, 2),
    device("f", { zone: "b" }, 8, "Fleet/x"),
  ];

  it("takes the node selector minus the node's own labels, outside fleets, with room, least loaded first", () => {
    const requests = podRequests([{ resources: { requests: { cpu: "500m", memory: "128Mi" } } }]);
    expect(requests).toEqual({ cpuMilli: 500, memoryBytes: 128 * 2 ** 20 });
    const place = (sel: Record<string, string>, used = new Map()) =>
      placePod({
        nodeSelector: { ...sel, type: "virtual-kubelet" },
        nodeLabels,
        requests,
        devices,
        used,
        reachable: () => true,
      });
    expect(place({ zone: "b" })).toEqual({ device: "c" });
    expect(place({ zone: "b" }, new Map([["c", { cpuMilli: 1800, memoryBytes: 0 }]]))).toEqual({ device: "b" });
    expect(place({ zone: "z" })).toEqual({
      unschedulable: "no Flightctl device outside a fleet has the labels zone=z",
    });
    expect(
      placePod({
        nodeSelector: {},
        nodeLabels,
        requests: { cpuMilli: 4000, memoryBytes: 0 },
        devices,
        used: new Map(),
        reachable: () => true,
      }),
    ).toEqual({ unschedulable: "3 matching devices online, none with 4000m CPU and 0Mi memory free" });
    expect(
      placePod({ nodeSelector: {}, nodeLabels, requests, devices, used: new Map(), reachable: () => false }),
    ).toEqual({ unschedulable: "3 matching devices, none online" });
  });

  it("sums the devices' capacity for the node", () => {
    expect(nodeCapacity(devices.slice(0, 3), 10)).toEqual({ cpu: "4000m", memory: `${3 * 1024 * 1024}Ki`, pods: "30" });
  });

  it("mirrors application states into the Pod's phase, conditions and containerStatuses", () => {
    const pod = {
      namespace: "ns",
      name: "p",
      containers: [{ name: "app", image: "q.io/a:1" }],
      restartPolicy: "Always",
    };
    const base = { pod, device: "c", reachable: true, since: "t0", now: "t1" };
    const running = podStatus({ ...base, states: { "ns-p": "Running" } });
    expect(running).toMatchObject({ phase: "Running", message: "on Flightctl device c" });
    expect((running["containerStatuses"] as unknown[])[0]).toMatchObject({
      ready: true,
      containerID: "flightctl://c/ns-p",
      state: { running: { startedAt: "t0" } },
    });
    expect(podStatus({ ...base, states: { "ns-p": "Starting" } })).toMatchObject({ phase: "Pending" });
    expect(podStatus({ ...base, states: { "ns-p": "Error" } })).toMatchObject({ phase: "Failed" });
    const lost = podStatus({ ...base, reachable: false, states: { "ns-p": "Running" } });
    expect(
      (lost["conditions"] as { type: string; status: string; reason?: string }[]).find((c) => c.type === "Ready"),
    ).toMatchObject({ status: "False", reason: "DeviceUnreachable" });
  });
});
