/**
 * The virtual node (seed 002's Virtual Kubelet provider, as a `bosun serve` option): a Node
 * (default `vk-flightctl-node`) whose capacity is what the Flightctl devices outside fleets offer,
 * with a Ready condition and a Lease heartbeat in `kube-node-lease`. Pods bound to it (`nodeName`, or
 * the provider toleration and a node selector naming it: the node binds those itself) are placed on
 * a device (placement.ts), pushed there as Flightctl applications, and their status (phase,
 * conditions, containerStatuses) mirrored back; a deleted Pod's applications are removed before the
 * Pod goes. The device is recorded on the Pod (`edge.bosun.dev/device`) and the owner on the device,
 * so a restarted engine picks up where it was and cleans up applications of Pods that are gone.
 */
import type { KubeClient, KubeObject } from "../../../clients/kubernetes/index.ts";
import type { Logger } from "../../../engine/index.ts";
import type { EdgeDevice, EdgeFleet } from "../../../engine/kinds/edge-workload/ports.ts";
import { toApplications } from "../../../engine/kinds/edge-workload/workload.ts";
import type { VirtualNodeConfig } from "../config.ts";
import { nodeCapacity, placePod, podRequests, type Requests } from "./placement.ts";
import { appNames, podStatus, unschedulableStatus, type PodView } from "./pod-status.ts";

type Json = Record<string, unknown>;

export const DEVICE_ANNOTATION = "edge.bosun.dev/device";
export const PROVIDER_TAINT = "virtual-kubelet.io/provider";
const FIELD_MANAGER = "bosun-virtual-node";
/** Status has its own manager: before Kubernetes 1.22 a /status apply drops the same manager's other fields. */
const STATUS_MANAGER = "bosun-virtual-node-status";
const PODS_PER_DEVICE = 10;

export interface VirtualNodeOptions {
  readonly kube: KubeClient;
  readonly edge: EdgeFleet;
  readonly config: VirtualNodeConfig;
  readonly logger: Logger;
  /** How often Pods are synced (default 1 s). */
  readonly syncMs?: number;
  readonly clock?: () => Date;
}

const ownerOf = (namespace: string, name: string): string => `pod:${namespace}/${name}`;

export class VirtualNode {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private lastHeartbeat = 0;
  private registered = false;
  private readonly written = new Map<string, string>();
  private readonly since = new Map<string, string>();
  private readyState: boolean | undefined;
  private readyChanged = "";

  constructor(private readonly options: VirtualNodeOptions) {}

  get name(): string {
    return this.options.config.name;
  }

  /** The node's labels (a Pod's node selector may name them). */
  get labels(): Record<string, string> {
    return {
      type: "virtual-kubelet",
      "kubernetes.io/role": "agent",
      "kubernetes.io/hostname": this.name,
      "kubernetes.io/os": "linux",
      "app.kubernetes.io/managed-by": "bosun",
    };
  }

  start(): void {
    const tick = (): void => {
      this.running = this.sync(this.abort.signal)
        .catch((err: unknown) => {
          if (!this.abort.signal.aborted)
            this.options.logger.warn({ err, node: this.name }, "virtual node sync failed; retrying");
        })
        .finally(() => {
          if (!this.abort.signal.aborted) this.timer = setTimeout(tick, this.options.syncMs ?? 1000);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.abort.abort(new Error("virtual node stopped"));
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One round: devices, node status and Lease (when due), binding, placement, applications, Pod status. */
  async sync(signal: AbortSignal): Promise<void> {
    const now = (this.options.clock ?? (() => new Date()))();
    const all = await this.options.edge.devices(this.options.config.deviceSelector, signal);
    const devices = all.filter((d) => d.owner === undefined);
    const reachable = (d: EdgeDevice): boolean => now.getTime() - d.lastSeenMs <= this.options.edge.offlineTimeoutMs;
    if (!this.registered || now.getTime() - this.lastHeartbeat >= this.options.config.heartbeatSeconds * 1000) {
      await this.heartbeat(devices.filter(reachable), now, signal);
      this.lastHeartbeat = now.getTime();
    }
    await this.bindPending(signal);
    const pods = (await this.options.kube.list("v1", "Pod", { fieldSelector: `spec.nodeName=${this.name}`, signal }))
      .items;
    const byDevice = new Map(devices.map((d) => [d.name, d]));
    const used = new Map<string, Requests>();
    for (const p of pods) {
      const device = p.metadata.annotations?.[DEVICE_ANNOTATION];
      if (!device) continue;
      const r = podRequests(containersOf(p));
      const u = used.get(device) ?? { cpuMilli: 0, memoryBytes: 0 };
      used.set(device, { cpuMilli: u.cpuMilli + r.cpuMilli, memoryBytes: u.memoryBytes + r.memoryBytes });
    }
    const live = new Set<string>();
    for (const pod of pods.sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))) {
      const ns = pod.metadata.namespace ?? "default";
      const key = ownerOf(ns, pod.metadata.name);
      live.add(key);
      try {
        await this.syncPod(pod, devices, byDevice, used, reachable, now, signal);
      } catch (err) {
        if (signal.aborted) throw err;
        this.options.logger.warn(
          { err, pod: `${ns}/${pod.metadata.name}` },
          "virtual node: Pod sync failed; retried next round",
        );
      }
    }
    // Applications of Pods that are gone (deleted while the engine was down): removed.
    for (const d of devices)
      for (const owner of new Set(Object.values(d.appOwners)))
        if (owner.startsWith("pod:") && !live.has(owner))
          await this.options.edge.setDeviceApplications(d.name, owner, [], signal);
  }

  private async syncPod(
    pod: KubeObject,
    devices: readonly EdgeDevice[],
    byDevice: ReadonlyMap<string, EdgeDevice>,
    used: Map<string, Requests>,
    reachable: (d: EdgeDevice) => boolean,
    now: Date,
    signal: AbortSignal,
  ): Promise<void> {
    const ns = pod.metadata.namespace ?? "default";
    const name = pod.metadata.name;
    const key = ownerOf(ns, name);
    const view: PodView = {
      namespace: ns,
      name,
      containers: containersOf(pod),
      restartPolicy: String((pod["spec"] as Json)["restartPolicy"] ?? "Always"),
    };
    let device = pod.metadata.annotations?.[DEVICE_ANNOTATION];
    if (pod.metadata.deletionTimestamp) {
      if (device) await this.options.edge.setDeviceApplications(device, key, [], signal);
      await this.options.kube.rest.request({
        method: "DELETE",
        path: `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(name)}`,
        body: { kind: "DeleteOptions", apiVersion: "v1", gracePeriodSeconds: 0 },
        subject: `delete Pod ${ns}/${name}`,
        signal,
      });
      this.written.delete(key);
      this.options.logger.info({ pod: `${ns}/${name}`, device }, "virtual node: Pod deleted, its applications removed");
      return;
    }
    if (!device) {
      const placed = placePod({
        nodeSelector: ((pod["spec"] as Json)["nodeSelector"] ?? {}) as Record<string, string>,
        nodeLabels: this.labels,
        requests: podRequests(view.containers),
        devices,
        used,
        reachable,
      });
      if ("unschedulable" in placed) {
        await this.writeStatus(pod, unschedulableStatus(placed.unschedulable, now.toISOString()), signal);
        return;
      }
      device = placed.device;
      const r = podRequests(view.containers);
      const u = used.get(device) ?? { cpuMilli: 0, memoryBytes: 0 };
      used.set(device, { cpuMilli: u.cpuMilli + r.cpuMilli, memoryBytes: u.memoryBytes + r.memoryBytes });
      await this.options.kube.mergePatch(
        { apiVersion: "v1", kind: "Pod", namespace: ns, name },
        { metadata: { annotations: { [DEVICE_ANNOTATION]: device } } },
        { fieldManager: FIELD_MANAGER, signal },
      );
      this.options.logger.info({ pod: `${ns}/${name}`, device }, "virtual node: Pod placed on a device");
    }
    const names = appNames(view);
    const apps = toApplications(`${ns}-${name}`, view.containers).map((a, i) => ({
      ...a,
      name: names.get(String(view.containers[i]!["name"]))!,
    }));
    await this.options.edge.setDeviceApplications(device, key, apps, signal);
    const d = byDevice.get(device);
    if (!this.since.has(key)) this.since.set(key, now.toISOString());
    const states: Record<string, never> = {};
    const status = podStatus({
      pod: view,
      device,
      states: d ? d.appStates : states,
      reachable: d ? reachable(d) : false,
      since: this.since.get(key)!,
      now: now.toISOString(),
    });
    await this.writeStatus(pod, status, signal);
  }

  /** Status written only when it changed (transition times aside). */
  private async writeStatus(pod: KubeObject, status: Json, signal: AbortSignal): Promise<void> {
    const key = ownerOf(pod.metadata.namespace ?? "default", pod.metadata.name);
    const text = JSON.stringify(status, (k, v: unknown) => (k === "lastTransitionTime" ? undefined : v));
    if (this.written.get(key) === text) return;
    await this.options.kube.applyStatus(
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace ?? "default" },
        status,
      },
      { fieldManager: STATUS_MANAGER, force: true, signal },
    );
    this.written.set(key, text);
  }

  /** Pods that tolerate the provider taint and select this node: bound here (no scheduler knows the devices). */
  private async bindPending(signal: AbortSignal): Promise<void> {
    const pending = (await this.options.kube.list("v1", "Pod", { fieldSelector: "spec.nodeName=", signal })).items;
    for (const pod of pending) {
      const spec = pod["spec"] as Json;
      const tolerates = ((spec["tolerations"] ?? []) as Json[]).some(
        (t) => t["key"] === PROVIDER_TAINT || (t["operator"] === "Exists" && t["key"] === undefined),
      );
      const selector = (spec["nodeSelector"] ?? {}) as Record<string, string>;
      const names = selector["kubernetes.io/hostname"] === this.name || selector["type"] === "virtual-kubelet";
      if (!tolerates || !names || pod.metadata.deletionTimestamp) continue;
      await this.options.kube.create(
        {
          apiVersion: "v1",
          kind: "Binding",
          metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace ?? "default" },
          target: { apiVersion: "v1", kind: "Node", name: this.name },
        },
        { fieldManager: FIELD_MANAGER, signal },
      );
    }
  }

  private async heartbeat(devices: readonly EdgeDevice[], now: Date, signal: AbortSignal): Promise<void> {
    const { kube } = this.options;
    if (!this.registered) {
      await kube.apply(
        {
          apiVersion: "v1",
          kind: "Node",
          metadata: { name: this.name, labels: this.labels },
          spec: { taints: [{ key: PROVIDER_TAINT, value: "flightctl", effect: "NoSchedule" }] },
        },
        { fieldManager: FIELD_MANAGER, force: true, signal },
      );
      this.registered = true;
    }
    const ready = devices.length > 0;
    if (this.readyState !== ready) {
      this.readyState = ready;
      this.readyChanged = now.toISOString();
    }
    const capacity = nodeCapacity(devices, PODS_PER_DEVICE);
    await kube.applyStatus(
      {
        apiVersion: "v1",
        kind: "Node",
        metadata: { name: this.name },
        status: {
          capacity,
          allocatable: capacity,
          conditions: [
            {
              type: "Ready",
              status: ready ? "True" : "False",
              reason: ready ? "KubeletReady" : "NoDevicesOnline",
              message: ready
                ? `${devices.length} Flightctl devices online`
                : "no Flightctl device outside a fleet is online",
              lastHeartbeatTime: now.toISOString(),
              lastTransitionTime: this.readyChanged,
            },
          ],
          addresses: [{ type: "Hostname", address: this.name }],
          nodeInfo: {
            machineID: this.name,
            systemUUID: this.name,
            bootID: this.name,
            kernelVersion: "",
            osImage: "Flightctl edge devices",
            containerRuntimeVersion: "flightctl://v1beta1",
            kubeletVersion: "bosun-virtual-node",
            kubeProxyVersion: "",
            operatingSystem: "linux",
            architecture: "amd64",
          },
        },
      },
      { fieldManager: STATUS_MANAGER, force: true, signal },
    );
    const micro = now.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
    await kube.apply(
      {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name: this.name, namespace: "kube-node-lease" },
        spec: { holderIdentity: this.name, leaseDurationSeconds: 40, renewTime: micro },
      },
      { fieldManager: FIELD_MANAGER, force: true, signal },
    );
  }
}

function containersOf(pod: KubeObject): Json[] {
  return ((pod["spec"] as Json | undefined)?.["containers"] ?? []) as Json[];
}
