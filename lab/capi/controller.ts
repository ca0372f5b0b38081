/**
 * LAB STAND-IN for the Cluster API core controllers (Cluster, MachineDeployment, KubeadmControlPlane,
 * Machine), which are Go programs that cannot run here. It does, against one management cluster,
 * the part the KVM provider and Bosun need to be exercised for real:
 *
 * - Cluster: owner references to it on its infrastructure cluster, control plane and
 *   MachineDeployments (so deleting the Cluster cascades, as in Cluster API); status phase
 *   (Provisioning → Provisioned), initialization, conditions and replica counters.
 * - MachineDeployment and KubeadmControlPlane: one Machine per replica (owner reference, the
 *   cluster-name and deployment/control-plane labels, `bootstrap.dataSecretName` pointing at a
 *   bootstrap Secret it writes, and the infra machine cloned from the infra machine template, owned
 *   by the Machine); on a version or template change, a rolling replacement within maxSurge /
 *   maxUnavailable (control planes: surge 1, unavailable 0); status replicas / ready / up to date /
 *   available and phase.
 * - Machine: `spec.providerID`, addresses and phase (Provisioning → Running) from its infra machine.
 *
 * It honours the pause (Cluster `spec.paused` or the `cluster.x-k8s.io/paused` annotation). Not
 * done: MachineSets (the seed's non-goal), kubeadm itself, Nodes, health checks, remediation.
 */
import { randomBytes } from "node:crypto";
import type { KubeClient } from "../../clients/kubernetes/index.ts";
import type { KubeObject } from "../../clients/kubernetes/index.ts";
import { digest } from "../../engine/index.ts";

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {});
const meta = (o: Json): Json => obj(o["metadata"]);
const nameOf = (o: Json): string => String(meta(o)["name"]);

export const CLUSTER_NAME_LABEL = "cluster.x-k8s.io/cluster-name";
export const DEPLOYMENT_NAME_LABEL = "cluster.x-k8s.io/deployment-name";
export const CONTROL_PLANE_NAME_LABEL = "cluster.x-k8s.io/control-plane-name";
export const CONTROL_PLANE_LABEL = "cluster.x-k8s.io/control-plane";
export const TEMPLATE_HASH_LABEL = "machine-template-hash";
export const PAUSED_ANNOTATION = "cluster.x-k8s.io/paused";
const CAPI = "cluster.x-k8s.io/v1beta2";
const MANAGER = "capi-lab";

export interface CapiLabOptions {
  readonly client: KubeClient;
  /** Pass interval (default 500 ms). */
  readonly intervalMs?: number;
  readonly onError?: (error: unknown) => void;
}

/** Replicas and rollout budget of an owner of machines. */
interface Owner {
  readonly object: Json;
  readonly kind: "MachineDeployment" | "KubeadmControlPlane";
  readonly cluster: string;
  readonly replicas: number;
  readonly version: string;
  readonly infraRef: Json;
  readonly maxSurge: number;
  readonly maxUnavailable: number;
  readonly hash: string;
  readonly label: string;
}

export class CapiLab {
  private readonly client: KubeClient;
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly abort = new AbortController();
  private readonly versions = new Map<string, string>();

  constructor(private readonly options: CapiLabOptions) {
    this.client = options.client;
    this.intervalMs = options.intervalMs ?? 500;
  }

  /** Starts the pass loop. */
  start(): this {
    const tick = (): void => {
      if (this.stopped) return;
      this.running = this.pass(this.abort.signal)
        .catch((e: unknown) => {
          if (!this.stopped) this.options.onError?.(e);
        })
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.intervalMs);
        });
    };
    tick();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort(new Error("capi lab stopped"));
    await this.running?.catch(() => undefined);
  }

  /** One pass over every Cluster (exported for tests that step it by hand). */
  async pass(signal: AbortSignal): Promise<void> {
    const clusters = (await this.client.list(CAPI, "Cluster", { signal })).items as unknown as Json[];
    for (const cluster of clusters) {
      if (paused(cluster) || meta(cluster)["deletionTimestamp"] !== undefined) continue;
      await this.reconcileCluster(cluster, signal);
    }
  }

  private async reconcileCluster(cluster: Json, signal: AbortSignal): Promise<void> {
    const ns = String(meta(cluster)["namespace"]);
    const name = nameOf(cluster);
    const spec = obj(cluster["spec"]);
    const owner = {
      apiVersion: CAPI,
      kind: "Cluster",
      name,
      uid: String(meta(cluster)["uid"]),
      blockOwnerDeletion: true,
    };
    // Parts owned by the Cluster (as the Cluster and MachineDeployment controllers set them).
    const infraRef = obj(spec["infrastructureRef"]);
    const infra = await this.getByRef(infraRef, ns, signal);
    const cpRef = obj(spec["controlPlaneRef"]);
    const cp = await this.getByRef(cpRef, ns, signal);
    const mds = (
      (await this.client.list(CAPI, "MachineDeployment", { namespace: ns, signal })).items as unknown as Json[]
    ).filter((md) => obj(md["spec"])["clusterName"] === name);
    for (const part of [infra, cp, ...mds]) if (part) await this.adopt(part, owner, name, signal);
    const infraReady =
      infra !== undefined &&
      (obj(infra["status"])["ready"] === true || obj(obj(infra["status"])["initialization"])["provisioned"] === true);

    const machines = (
      await this.client.list(CAPI, "Machine", { namespace: ns, labelSelector: `${CLUSTER_NAME_LABEL}=${name}`, signal })
    ).items as unknown as Json[];
    for (const m of machines) await this.syncMachine(m, signal);
    const after = (
      await this.client.list(CAPI, "Machine", { namespace: ns, labelSelector: `${CLUSTER_NAME_LABEL}=${name}`, signal })
    ).items as unknown as Json[];

    const owners: Owner[] = [];
    if (cp && !paused(cp)) owners.push(this.ownerOf(cp, "KubeadmControlPlane", name));
    for (const md of mds)
      if (!paused(md) && obj(md["spec"])["paused"] !== true) owners.push(this.ownerOf(md, "MachineDeployment", name));
    const counters: Record<string, Json> = {};
    for (const o of owners) {
      const mine = after.filter((m) => ownedBy(m, o.object));
      if (infraReady) await this.scaleAndRoll(o, mine, ns, signal);
      const now = (
        (
          await this.client.list(CAPI, "Machine", {
            namespace: ns,
            labelSelector: `${o.label}=${nameOf(o.object)}`,
            signal,
          })
        ).items as unknown as Json[]
      ).filter((m) => ownedBy(m, o.object));
      counters[`${o.kind}/${nameOf(o.object)}`] = await this.ownerStatus(o, now, signal);
    }
    const cpCounters = cp ? counters[`KubeadmControlPlane/${nameOf(cp)}`] : undefined;
    const cpInitialized = Number(cpCounters?.["readyReplicas"] ?? 0) > 0;
    const workers = mds.map((md) => counters[`MachineDeployment/${nameOf(md)}`] ?? {});
    const sum = (k: string): number => workers.reduce((n, w) => n + Number(w[k] ?? 0), 0);
    const phase = !infraReady ? "Provisioning" : cpInitialized || !cp ? "Provisioned" : "Provisioning";
    const cond = (type: string, ok: boolean, reason: string): Json => ({
      type,
      status: ok ? "True" : "False",
      reason,
      message: type,
      lastTransitionTime: stableTime(cluster, type, ok),
    });
    await this.patchStatus(
      cluster,
      {
        phase,
        initialization: { infrastructureProvisioned: infraReady, controlPlaneInitialized: cpInitialized },
        conditions: [
          cond("InfrastructureReady", infraReady, infraReady ? "Ready" : "NotReady"),
          cond("ControlPlaneInitialized", cpInitialized, cpInitialized ? "Initialized" : "NotInitialized"),
          cond("Available", phase === "Provisioned", phase === "Provisioned" ? "Available" : "NotAvailable"),
          cond("Paused", false, "NotPaused"),
        ],
        ...(cpCounters
          ? {
              controlPlane: {
                desiredReplicas: cpCounters["desired"],
                replicas: cpCounters["replicas"],
                readyReplicas: cpCounters["readyReplicas"],
                availableReplicas: cpCounters["availableReplicas"],
                upToDateReplicas: cpCounters["upToDateReplicas"],
              },
            }
          : {}),
        workers: {
          desiredReplicas: sum("desired"),
          replicas: sum("replicas"),
          readyReplicas: sum("readyReplicas"),
          availableReplicas: sum("availableReplicas"),
          upToDateReplicas: sum("upToDateReplicas"),
        },
        observedGeneration: meta(cluster)["generation"],
      },
      signal,
    );
  }

  private ownerOf(o: Json, kind: Owner["kind"], cluster: string): Owner {
    const spec = obj(o["spec"]);
    const replicas = typeof spec["replicas"] === "number" ? spec["replicas"] : 1;
    let version: string;
    let infraRef: Json;
    let budget = { maxSurge: 1, maxUnavailable: 0 };
    if (kind === "MachineDeployment") {
      const t = obj(obj(spec["template"])["spec"]);
      version = String(t["version"] ?? "");
      infraRef = obj(t["infrastructureRef"]);
      const rolling = obj(obj(obj(spec["rollout"])["strategy"])["rollingUpdate"]);
      const n = (v: unknown, d: number, up: boolean): number =>
        typeof v === "number"
          ? v
          : typeof v === "string" && v.endsWith("%")
            ? (up ? Math.ceil : Math.floor)((Number(v.slice(0, -1)) / 100) * replicas)
            : d;
      budget = { maxSurge: n(rolling["maxSurge"], 1, true), maxUnavailable: n(rolling["maxUnavailable"], 0, false) };
      if (budget.maxSurge === 0 && budget.maxUnavailable === 0) budget = { maxSurge: 1, maxUnavailable: 0 };
    } else {
      version = String(spec["version"] ?? "");
      infraRef = obj(obj(obj(spec["machineTemplate"])["spec"])["infrastructureRef"]);
    }
    return {
      object: o,
      kind,
      cluster,
      replicas,
      version,
      infraRef,
      ...budget,
      hash: digest({ version, infra: infraRef["name"] }, 10),
      label: kind === "MachineDeployment" ? DEPLOYMENT_NAME_LABEL : CONTROL_PLANE_NAME_LABEL,
    };
  }

  /** One rolling step: up to maxSurge extra; old machines go only while replicas − maxUnavailable stay ready. */
  private async scaleAndRoll(o: Owner, machines: readonly Json[], ns: string, signal: AbortSignal): Promise<void> {
    const alive = machines.filter((m) => meta(m)["deletionTimestamp"] === undefined);
    const deleting = machines.length - alive.length;
    const current = alive.filter((m) => obj(meta(m)["labels"])[TEMPLATE_HASH_LABEL] === o.hash);
    const old = alive.filter((m) => obj(meta(m)["labels"])[TEMPLATE_HASH_LABEL] !== o.hash);
    const ready = (m: Json): boolean => obj(m["status"])["phase"] === "Running";
    const byAge = (a: Json, b: Json): number =>
      String(meta(a)["creationTimestamp"]).localeCompare(String(meta(b)["creationTimestamp"])) ||
      nameOf(a).localeCompare(nameOf(b));
    if (old.length === 0) {
      for (let i = current.length; i < o.replicas; i++) await this.createMachine(o, ns, signal);
      // Scale down: machines not ready first, then the newest.
      const extra = [...current]
        .sort((a, b) => Number(ready(a)) - Number(ready(b)) || byAge(b, a))
        .slice(0, Math.max(0, current.length - o.replicas));
      for (const m of extra) await this.deleteMachine(m, signal);
      return;
    }
    const total = alive.length + deleting;
    const room = o.replicas + o.maxSurge - total;
    for (let i = 0; i < Math.min(room, o.replicas - current.length); i++) await this.createMachine(o, ns, signal);
    // Old machines that are not ready cost no availability; ready ones go while enough others are ready.
    const oldUnready = old.filter((m) => !ready(m));
    for (const m of oldUnready) await this.deleteMachine(m, signal);
    const available = alive.filter(ready).length;
    const canDelete = available - (o.replicas - o.maxUnavailable);
    const oldReady = old.filter(ready).sort(byAge).slice(0, Math.max(0, canDelete));
    for (const m of oldReady) await this.deleteMachine(m, signal);
  }

  private async createMachine(o: Owner, ns: string, signal: AbortSignal): Promise<void> {
    const name = `${nameOf(o.object)}-${randomBytes(3).toString("hex").slice(0, 5)}`;
    const labels: Record<string, string> = {
      [CLUSTER_NAME_LABEL]: o.cluster,
      [o.label]: nameOf(o.object),
      [TEMPLATE_HASH_LABEL]: o.hash,
      ...(o.kind === "KubeadmControlPlane" ? { [CONTROL_PLANE_LABEL]: "" } : {}),
    };
    const templateKind = String(o.infraRef["kind"]);
    const group = String(o.infraRef["apiGroup"] ?? String(o.infraRef["apiVersion"] ?? "").split("/")[0]);
    const version = await this.versionOf(group, templateKind, signal);
    const template = (await this.client.get(
      { apiVersion: `${group}/${version}`, kind: templateKind, namespace: ns, name: String(o.infraRef["name"]) },
      signal,
    )) as unknown as Json | undefined;
    if (!template)
      throw new Error(
        `capi lab: ${templateKind} ${ns}/${String(o.infraRef["name"])} not found for ${o.kind} ${nameOf(o.object)}`,
      );
    const infraKind = templateKind.replace(/Template$/, "");
    const machine = (await this.client.create(
      {
        apiVersion: CAPI,
        kind: "Machine",
        metadata: {
          name,
          namespace: ns,
          labels,
          ownerReferences: [
            {
              apiVersion: String(o.object["apiVersion"]),
              kind: o.kind,
              name: nameOf(o.object),
              uid: String(meta(o.object)["uid"]),
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        spec: {
          clusterName: o.cluster,
          version: o.version,
          bootstrap: { dataSecretName: `${name}-bootstrap` },
          infrastructureRef: { apiGroup: group, kind: infraKind, name },
        },
      },
      { fieldManager: MANAGER, signal },
    )) as unknown as Json;
    const ownedByMachine = [
      {
        apiVersion: CAPI,
        kind: "Machine",
        name,
        uid: String(meta(machine)["uid"]),
        controller: true,
        blockOwnerDeletion: true,
      },
    ];
    const cloudConfig = `#cloud-config\nhostname: ${name}\nruncmd:\n  - echo bosun-capi-lab ${o.cluster} ${name} ${o.version}\n`;
    await this.client.create(
      {
        apiVersion: "v1",
        kind: "Secret",
        type: "cluster.x-k8s.io/secret",
        metadata: {
          name: `${name}-bootstrap`,
          namespace: ns,
          labels: { [CLUSTER_NAME_LABEL]: o.cluster },
          ownerReferences: ownedByMachine,
        },
        data: {
          value: Buffer.from(cloudConfig).toString("base64"),
          format: Buffer.from("cloud-config").toString("base64"),
        },
      },
      { fieldManager: MANAGER, signal },
    );
    await this.client.create(
      {
        apiVersion: `${group}/${version}`,
        kind: infraKind,
        metadata: { name, namespace: ns, labels, ownerReferences: ownedByMachine },
        spec: structuredClone(obj(obj(obj(template["spec"])["template"])["spec"])),
      },
      { fieldManager: MANAGER, signal },
    );
  }

  private async deleteMachine(m: Json, signal: AbortSignal): Promise<void> {
    // Background: the garbage collector deletes the infra machine (its finalizer removes the domain) and the Secret.
    await this.client.delete(
      { apiVersion: CAPI, kind: "Machine", namespace: String(meta(m)["namespace"]), name: nameOf(m) },
      { propagationPolicy: "Background", signal },
    );
  }

  /** Machine ← infra machine: providerID, addresses, phase. */
  private async syncMachine(m: Json, signal: AbortSignal): Promise<void> {
    if (meta(m)["deletionTimestamp"] !== undefined || paused(m)) return;
    const ref = obj(obj(m["spec"])["infrastructureRef"]);
    const infra = await this.getByRef(ref, String(meta(m)["namespace"]), signal);
    const status = obj(infra?.["status"]);
    const providerID = obj(infra?.["spec"])["providerID"];
    const ready = status["ready"] === true || obj(status["initialization"])["provisioned"] === true;
    const machineRef = { apiVersion: CAPI, kind: "Machine", namespace: String(meta(m)["namespace"]), name: nameOf(m) };
    if (typeof providerID === "string" && obj(m["spec"])["providerID"] !== providerID)
      await this.client.mergePatch(machineRef, { spec: { providerID } }, { fieldManager: MANAGER, signal });
    const failed = typeof status["failureReason"] === "string" && status["failureReason"] !== "";
    const phase = failed
      ? "Failed"
      : ready
        ? "Running"
        : typeof providerID === "string"
          ? "Provisioned"
          : "Provisioning";
    const addresses = Array.isArray(status["addresses"]) ? status["addresses"] : [];
    const want: Json = {
      phase,
      addresses,
      initialization: { infrastructureProvisioned: ready, bootstrapDataSecretCreated: true },
      conditions: [
        {
          type: "Ready",
          status: ready ? "True" : "False",
          reason: ready ? "Ready" : failed ? String(status["failureReason"]) : "WaitingForInfrastructure",
          message: failed ? String(status["failureMessage"] ?? "failed") : ready ? "infrastructure ready" : "waiting",
          lastTransitionTime: stableTime(m, "Ready", ready),
        },
      ],
    };
    const have = obj(m["status"]);
    if (
      have["phase"] !== phase ||
      JSON.stringify(have["addresses"] ?? []) !== JSON.stringify(addresses) ||
      JSON.stringify(have["conditions"]) !== JSON.stringify(want["conditions"])
    )
      await this.patchStatus(m, want, signal);
  }

  private async ownerStatus(o: Owner, machines: readonly Json[], signal: AbortSignal): Promise<Json> {
    const alive = machines.filter((m) => meta(m)["deletionTimestamp"] === undefined);
    const ready = alive.filter((m) => obj(m["status"])["phase"] === "Running").length;
    const upToDate = alive.filter((m) => obj(meta(m)["labels"])[TEMPLATE_HASH_LABEL] === o.hash).length;
    const settled = alive.length === o.replicas && upToDate === o.replicas && ready === o.replicas;
    const phase = alive.length < o.replicas ? "ScalingUp" : alive.length > o.replicas ? "ScalingDown" : "Running";
    const status: Json = {
      replicas: alive.length,
      readyReplicas: ready,
      availableReplicas: ready,
      upToDateReplicas: upToDate,
      observedGeneration: meta(o.object)["generation"],
      selector: `${CLUSTER_NAME_LABEL}=${o.cluster},${o.label}=${nameOf(o.object)}`,
      conditions: [
        {
          type: "Available",
          status: ready >= o.replicas - o.maxUnavailable ? "True" : "False",
          reason: "Lab",
          message: "lab stand-in",
          lastTransitionTime: stableTime(o.object, "Available", ready >= o.replicas - o.maxUnavailable),
        },
        {
          type: "RollingOut",
          status: upToDate < o.replicas ? "True" : "False",
          reason: "Lab",
          message: "lab stand-in",
          lastTransitionTime: stableTime(o.object, "RollingOut", upToDate < o.replicas),
        },
      ],
      ...(o.kind === "MachineDeployment"
        ? { phase }
        : { version: o.version, initialization: { controlPlaneInitialized: ready > 0 } }),
    };
    const have = obj(o.object["status"]);
    const changed = [
      "replicas",
      "readyReplicas",
      "availableReplicas",
      "upToDateReplicas",
      "observedGeneration",
      "phase",
    ].some((k) => have[k] !== status[k]);
    if (changed || !settled) await this.patchStatus(o.object, status, signal);
    return { ...status, desired: o.replicas };
  }

  /** Owner reference to the Cluster and its cluster-name label on a part (once). */
  private async adopt(part: Json, owner: Json, cluster: string, signal: AbortSignal): Promise<void> {
    const refs = Array.isArray(meta(part)["ownerReferences"]) ? (meta(part)["ownerReferences"] as Json[]) : [];
    const labels = obj(meta(part)["labels"]);
    if (refs.some((r) => r["uid"] === owner["uid"]) && labels[CLUSTER_NAME_LABEL] === cluster) return;
    const ref = {
      apiVersion: String(part["apiVersion"]),
      kind: String(part["kind"]),
      namespace: String(meta(part)["namespace"]),
      name: nameOf(part),
    };
    await this.client.mergePatch(
      ref,
      {
        metadata: {
          labels: { [CLUSTER_NAME_LABEL]: cluster },
          ownerReferences: [...refs.filter((r) => r["kind"] !== "Cluster"), owner],
        },
      },
      { fieldManager: MANAGER, signal },
    );
  }

  private async getByRef(ref: Json, ns: string, signal: AbortSignal): Promise<Json | undefined> {
    if (typeof ref["kind"] !== "string" || typeof ref["name"] !== "string") return undefined;
    const group =
      typeof ref["apiGroup"] === "string" ? ref["apiGroup"] : (String(ref["apiVersion"] ?? "").split("/")[0] ?? "");
    const version = await this.versionOf(group, ref["kind"], signal);
    return (await this.client.get(
      { apiVersion: `${group}/${version}`, kind: ref["kind"], namespace: ns, name: ref["name"] },
      signal,
    )) as unknown as Json | undefined;
  }

  /** The storage version of a group's kind, from its CRD (refs name only the group, as in Cluster API v1beta2). */
  private async versionOf(group: string, kind: string, signal: AbortSignal): Promise<string> {
    const key = `${group}|${kind}`;
    const cached = this.versions.get(key);
    if (cached) return cached;
    const crds = (await this.client.list("apiextensions.k8s.io/v1", "CustomResourceDefinition", { signal }))
      .items as unknown as Json[];
    for (const crd of crds) {
      const spec = obj(crd["spec"]);
      const versions = Array.isArray(spec["versions"]) ? (spec["versions"] as Json[]) : [];
      const storage = versions.find((v) => v["storage"] === true);
      if (storage)
        this.versions.set(`${String(spec["group"])}|${String(obj(spec["names"])["kind"])}`, String(storage["name"]));
    }
    const found = this.versions.get(key);
    if (!found) throw new Error(`capi lab: no CRD serves ${kind} in ${group}`);
    return found;
  }

  private async patchStatus(o: Json, status: Json, signal: AbortSignal): Promise<void> {
    const apiVersion = String(o["apiVersion"]);
    const m = await this.client.mapping(apiVersion, String(o["kind"]), signal);
    const base = m.group === "" ? `/api/${m.version}` : `/apis/${m.group}/${m.version}`;
    await this.client.rest.request({
      method: "PATCH",
      path: `${base}/namespaces/${encodeURIComponent(String(meta(o)["namespace"]))}/${m.resource}/${encodeURIComponent(nameOf(o))}/status`,
      contentType: "application/merge-patch+json",
      body: { status },
      query: { fieldManager: MANAGER },
      subject: `capi lab: status of ${String(o["kind"])} ${nameOf(o)}`,
      signal,
    });
  }
}

function paused(o: Json): boolean {
  return (
    obj(meta(o)["annotations"])[PAUSED_ANNOTATION] !== undefined ||
    (o["kind"] === "Cluster" && obj(o["spec"])["paused"] === true)
  );
}

function ownedBy(m: Json, owner: Json): boolean {
  const refs = Array.isArray(meta(m)["ownerReferences"]) ? (meta(m)["ownerReferences"] as Json[]) : [];
  return refs.some((r) => r["uid"] === meta(owner)["uid"]);
}

/** A condition's lastTransitionTime: kept while its status stays, else now. */
function stableTime(o: Json, type: string, ok: boolean): string {
  const prior = (Array.isArray(obj(o["status"])["conditions"]) ? (obj(o["status"])["conditions"] as Json[]) : []).find(
    (c) => c["type"] === type,
  );
  if (prior && prior["status"] === (ok ? "True" : "False") && typeof prior["lastTransitionTime"] === "string")
    return prior["lastTransitionTime"];
  return new Date().toISOString().replace(/\.\d+Z$/, "Z");
}

export type { KubeObject };
