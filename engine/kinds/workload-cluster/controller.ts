/**
 * The WorkloadCluster controller: per cluster and pass, render the clusterctl template, validate
 * every rendered object against the management cluster's CRDs (nothing applied when one fails),
 * move the cluster when its management cluster changed in Git (`move.ts`), server-side apply the
 * render, prune what the previous render had and this one has not (only Bosun's), read the
 * status of the Cluster, control plane and MachineDeployments, and compare the provisioned
 * machines with the KVM hosts' domains (drift, corrected by asking the provider to reconcile).
 */
import { formatDiagnostic, type Diagnostic } from "../../model/diagnostic.ts";
import { SinkError } from "../../model/errors.ts";
import type { FleetObject } from "../../model/fleet-object.ts";
import type { JsonObject } from "../../model/object-ref.ts";
import type { Backend, Change } from "../../reconcile/ports.ts";
import type { DriftField, ObjectStatus } from "../../status/types.ts";
import type {
  ControllerInput,
  ControllerOptions,
  ControllerOutput,
  KindController,
  PlanInput,
  RolloutPlan,
  RolloutReport,
} from "../registration.ts";
import { readoutCounts, readWorkloadCluster, type WorkloadClusterReadout } from "./cluster-status.ts";
import { hypervisorDrift, RECONCILE_REQUEST_ANNOTATION, type DomainDrift } from "./hypervisor-drift.ts";
import { CONTROL_PLANE_NAME_LABEL, planMachines, type MachineSetPlan } from "./machine-plan.ts";
import { CLUSTER_NAME_LABEL, moveCluster, moveKinds, PAUSED_ANNOTATION } from "./move.ts";
import { readInventory, inventoryConfigMap, type ClusterInventory } from "./cluster-inventory.ts";
import {
  WORKLOAD_CLUSTERS,
  type ClusterObjectRef,
  type LiveDomain,
  type ManagementCluster,
  type WorkloadClusterPort,
} from "./ports.ts";
import { clusterSubject, renderTemplate, type RenderedObject } from "./render.ts";
import { CrdValidators, validateRendered } from "./validate.ts";
import { renderedDiff, type RenderedChange } from "./rendered-diff.ts";

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {});

export const MACHINE_API_VERSION = "cluster.x-k8s.io/v1beta2";

const refOf = (o: JsonObject): ClusterObjectRef => ({
  apiVersion: String(o["apiVersion"]),
  kind: String(o["kind"]),
  namespace: String(obj(o["metadata"])["namespace"] ?? ""),
  name: String(obj(o["metadata"])["name"]),
});
const keyOf = (r: ClusterObjectRef): string => `${r.apiVersion}|${r.kind}|${r.namespace}|${r.name}`;
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** One cluster's rendered objects, or why it has none. */
type Rendering =
  | {
      readonly ok: true;
      readonly objects: readonly RenderedObject[];
      readonly management: ManagementCluster;
      readonly managementName: string;
    }
  | { readonly ok: false; readonly problems: readonly string[]; readonly reason: string };

interface ClusterOutcome {
  readonly status: ObjectStatus;
  readonly changes: readonly Change[];
  readonly readout?: WorkloadClusterReadout;
  readonly progressing: boolean;
  readonly summary: string;
}

export class WorkloadClusterController implements KindController {
  private readonly validators = new Map<string, { key: string; validators: CrdValidators }>();

  constructor(
    private readonly backend: Backend,
    private readonly options: ControllerOptions,
  ) {}

  private port(): WorkloadClusterPort {
    const port = this.backend.ports?.get(WORKLOAD_CLUSTERS);
    if (!port) throw new SinkError(`backend ${this.backend.name}`, "permanent", "offers no workload-cluster port");
    return port;
  }

  async reconcile(input: ControllerInput): Promise<ControllerOutput> {
    const statuses: ObjectStatus[] = [];
    const changes: Change[] = [];
    const rollouts: RolloutReport[] = [];
    for (const wc of input.objects) {
      input.signal.throwIfAborted();
      const failed = input.changes.get(`${wc.apiVersion}|${wc.kind}|${wc.namespace}|${wc.name}`)?.error;
      let outcome: ClusterOutcome;
      try {
        outcome = await this.reconcileOne(wc, input);
      } catch (e) {
        if (input.signal.aborted) throw input.signal.reason;
        outcome = this.failed(
          wc,
          input.commit,
          "ReconcileFailed",
          message(e),
          e instanceof SinkError && e.kind === "transient",
        );
        await this.writeRecord(
          wc,
          { phase: outcome.status.phase, observedCommit: input.commit, lastError: message(e) },
          input.signal,
        );
      }
      if (failed && outcome.status.lastError === undefined) {
        outcome = { ...outcome, status: { ...outcome.status, lastError: failed.message } };
      }
      statuses.push(outcome.status);
      changes.push(...outcome.changes);
      rollouts.push({ object: wc, status: outcome.status, progressing: outcome.progressing, summary: outcome.summary });
    }
    return { statuses, changes, rollouts };
  }

  private failed(wc: FleetObject, commit: string, reason: string, text: string, progressing = false): ClusterOutcome {
    this.options.logger.warn({ object: `${wc.namespace}/${wc.name}`, reason }, text);
    return {
      status: {
        kind: wc.kind,
        namespace: wc.namespace,
        name: wc.name,
        source: `${wc.source.file}:${wc.source.line}`,
        observedCommit: commit,
        phase: progressing ? "Progressing" : "Failed",
        conditions: [{ type: "Ready", status: "False", reason, message: text }],
        lastError: text,
      },
      changes: [],
      progressing,
      summary: `${wc.namespace}/${wc.name}: ${reason}: ${text}`,
    };
  }

  /** Renders and validates a cluster against its management cluster's CRDs (shared by reconcile and plan). */
  private async render(wc: FleetObject, desired: ControllerInput["desired"], signal: AbortSignal): Promise<Rendering> {
    const spec = obj(wc.body["spec"]);
    const template = String(spec["template"]);
    const text = desired.templates?.get(template);
    if (text === undefined)
      return {
        ok: false,
        reason: "TemplateMissing",
        problems: [`${clusterSubject(wc)}: template ${template} is not in this commit`],
      };
    const rendered = renderTemplate(wc, template, text);
    if (!rendered.ok)
      return { ok: false, reason: "RenderFailed", problems: rendered.diagnostics.map(formatDiagnostic) };
    const port = this.port();
    const managementName = managementClusterOf(wc, port);
    const management = managementName === undefined ? undefined : port.managementCluster(managementName);
    if (!management || managementName === undefined)
      return {
        ok: false,
        reason: "UnknownManagementCluster",
        problems: [
          `${clusterSubject(wc)}: management cluster ${String(spec["managementCluster"] ?? "(none given)")} is not in the engine config (backends.workloadClusters.managementClusters: ${port.managementClusterNames().join(", ") || "none"})`,
        ],
      };
    const validators = await this.validatorsOf(management, signal);
    const problems: Diagnostic[] = validateRendered(rendered.objects, validators, clusterSubject(wc), management.name);
    if (problems.length > 0) return { ok: false, reason: "InvalidRender", problems: problems.map(formatDiagnostic) };
    return { ok: true, objects: rendered.objects, management, managementName };
  }

  private async validatorsOf(cluster: ManagementCluster, signal: AbortSignal): Promise<CrdValidators> {
    const crds = await cluster.crds(signal);
    const key = crds
      .map((c) => `${String(obj(c["metadata"])["name"])}@${String(obj(c["metadata"])["resourceVersion"])}`)
      .sort()
      .join(",");
    const cached = this.validators.get(cluster.name);
    if (cached && cached.key === key) return cached.validators;
    const validators = new CrdValidators(crds);
    this.validators.set(cluster.name, { key, validators });
    return validators;
  }

  private async reconcileOne(wc: FleetObject, input: ControllerInput): Promise<ClusterOutcome> {
    const { signal, commit } = input;
    const port = this.port();
    const rendering = await this.render(wc, input.desired, signal);
    if (!rendering.ok) {
      const text = rendering.problems.join("\n");
      await this.event(wc, "Warning", rendering.reason, text, signal);
      await this.writeRecord(
        wc,
        { phase: "Failed", observedCommit: commit, lastError: text, reason: rendering.reason },
        signal,
      );
      return this.failed(wc, commit, rendering.reason, text);
    }
    const { management, objects } = rendering;
    const ref = wcRef(wc);
    const record = (await port.readStatus(ref, signal)) ?? {};
    const current = typeof record["managementCluster"] === "string" ? record["managementCluster"] : undefined;
    const changes: Change[] = [];

    // Paused in Git (Cluster API's pause annotation on the WorkloadCluster): nothing is applied, pruned or moved.
    if (obj(obj(wc.body["metadata"])["annotations"])[PAUSED_ANNOTATION] !== undefined) {
      const live = port.managementCluster(current ?? management.name) ?? management;
      const readout = await this.readout(live, wc, objects, signal);
      const text = `paused (${PAUSED_ANNOTATION}): not reconciled; ${readout.reason}`;
      await this.writeRecord(wc, { phase: "Paused", observedCommit: commit, reason: text }, signal);
      return {
        status: {
          kind: wc.kind,
          namespace: wc.namespace,
          name: wc.name,
          source: `${wc.source.file}:${wc.source.line}`,
          observedCommit: commit,
          phase: "Paused",
          conditions: [{ type: "Ready", status: readout.ready ? "True" : "False", reason: "Paused", message: text }],
          counts: readoutCounts(readout),
        },
        changes: [],
        readout,
        progressing: false,
        summary: `${wc.namespace}/${wc.name}: ${text}`,
      };
    }

    // Pivot: the management cluster changed in Git.
    if (current !== undefined && current !== management.name) {
      const source = port.managementCluster(current);
      if (!source) {
        const text = `${clusterSubject(wc)}: cannot move from ${current}: it is no longer in the engine config; add it back until the move is done`;
        return this.failed(wc, commit, "MoveBlocked", text);
      }
      await this.writeRecord(
        wc,
        { phase: "Moving", observedCommit: commit, move: { from: current, to: management.name } },
        signal,
      );
      await this.event(wc, "Normal", "MoveStarted", `moving from ${current} to ${management.name}`, signal);
      const result = await moveCluster({
        namespace: wc.namespace,
        name: wc.name,
        kinds: moveKinds(
          objects.map((o) => refOf(o.object)),
          MACHINE_API_VERSION,
        ),
        source,
        target: management,
        signal,
        onStep: (step) =>
          this.options.logger.info(
            { object: `${wc.namespace}/${wc.name}`, from: current, to: management.name },
            `move: ${step}`,
          ),
      });
      await this.writeRecord(wc, { managementCluster: management.name, move: null }, signal);
      await this.event(
        wc,
        "Normal",
        "Moved",
        `moved from ${current} to ${management.name}: ${result.moved} objects (${result.copied} copied now)`,
        signal,
      );
    }

    // Apply the render (everything validated first: a problem above stops before any write).
    await management.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: wc.namespace } }, signal);
    const previous = await readInventory(management, wc, signal);
    if (current === undefined) await this.writeRecord(wc, { managementCluster: management.name }, signal);
    const errors: string[] = [];
    for (const r of objects) {
      const target = refOf(r.object);
      try {
        const before = await management.get(target, signal);
        const after = await management.apply(r.object, signal);
        const changed =
          before === undefined ||
          obj(before["metadata"])["resourceVersion"] !== obj(after["metadata"])["resourceVersion"];
        changes.push({
          action: before === undefined ? "created" : changed ? "configured" : "unchanged",
          ref: { ...target },
          reason: `${clusterSubject(wc)} on ${management.name}`,
        });
      } catch (e) {
        if (signal.aborted) throw signal.reason;
        errors.push(`${target.kind} ${target.name} (${r.file}:${r.line}): ${message(e)}`);
      }
    }
    // Prune what the previous render had and this one has not (only objects carrying Bosun's label).
    const want = new Set(objects.map((o) => keyOf(refOf(o.object))));
    const kept: ClusterObjectRef[] = [];
    for (const old of previous.refs) {
      if (want.has(keyOf(old))) continue;
      try {
        const live = await management.get(old, signal);
        if (live && obj(obj(live["metadata"])["labels"])["app.kubernetes.io/managed-by"] === "bosun") {
          await management.remove(old, signal);
          changes.push({
            action: "deleted",
            ref: { ...old },
            reason: `pruned: no longer rendered for ${clusterSubject(wc)}`,
          });
        }
      } catch (e) {
        if (signal.aborted) throw signal.reason;
        errors.push(`prune ${old.kind} ${old.name}: ${message(e)}`);
        kept.push(old);
      }
    }
    const inventory: ClusterInventory = { refs: [...objects.map((o) => refOf(o.object)), ...kept] };
    await management.apply(inventoryConfigMap(wc, inventory), signal);

    const readout = await this.readout(management, wc, objects, signal);
    const drift = await this.domainDrift(management, wc, objects, input.now, signal);
    const phase = errors.length > 0 ? "Degraded" : readout.phase;
    const lastError = errors.length > 0 ? errors.join("; ") : undefined;
    if (lastError) await this.event(wc, "Warning", "ApplyFailed", lastError, signal);
    await this.writeRecord(
      wc,
      {
        managementCluster: management.name,
        phase,
        observedCommit: commit,
        clusterPhase: readout.clusterPhase ?? null,
        controlPlane: readout.controlPlane ? replicaRecord(readout.controlPlane) : null,
        machineDeployments: readout.machineDeployments.map(replicaRecord),
        machines: readout.machines.map((m) => ({ ...m })),
        conditions: readout.conditions.map((c) => ({ ...c })),
        domainDrift: drift.map((d) => ({ ...d })),
        lastError: lastError ?? null,
        reason: readout.reason,
      },
      signal,
    );
    const status: ObjectStatus = {
      kind: wc.kind,
      namespace: wc.namespace,
      name: wc.name,
      source: `${wc.source.file}:${wc.source.line}`,
      observedCommit: commit,
      phase,
      conditions: [
        {
          type: "Ready",
          status: readout.ready ? "True" : "False",
          reason: readout.ready ? "Provisioned" : "Progressing",
          message: readout.reason,
        },
        ...readout.conditions,
      ],
      counts: readoutCounts(readout),
      ...(drift.length > 0 ? { drift: drift.map(driftField) } : {}),
      ...(lastError ? { lastError } : {}),
    };
    return {
      status,
      changes,
      readout,
      progressing: !readout.ready || drift.length > 0,
      summary: `${wc.namespace}/${wc.name} on ${management.name}: ${phase}: ${readout.reason}${drift.length > 0 ? `; ${drift.length} domains drifted` : ""}`,
    };
  }

  private async readout(
    management: ManagementCluster,
    wc: FleetObject,
    objects: readonly RenderedObject[],
    signal: AbortSignal,
  ): Promise<WorkloadClusterReadout> {
    const rendered = objects.map((o) => o.object);
    const clusterObject = rendered.find((o) => o["kind"] === "Cluster");
    const cluster = clusterObject ? await management.get(refOf(clusterObject), signal) : undefined;
    const cpRef = obj(obj((cluster ?? clusterObject)?.["spec"])["controlPlaneRef"]);
    const cpRendered = rendered.find(
      (o) => o["kind"] === cpRef["kind"] && obj(o["metadata"])["name"] === cpRef["name"],
    );
    const controlPlane = cpRendered ? await management.get(refOf(cpRendered), signal) : undefined;
    const mds: JsonObject[] = [];
    for (const md of rendered.filter((o) => o["kind"] === "MachineDeployment")) {
      const live = await management.get(refOf(md), signal);
      if (live) mds.push(live);
    }
    const machines = await management.list(
      MACHINE_API_VERSION,
      "Machine",
      wc.namespace,
      `${CLUSTER_NAME_LABEL}=${wc.name}`,
      signal,
    );
    return readWorkloadCluster({ cluster, controlPlane, machineDeployments: mds, machines });
  }

  /** The provisioned infra machines whose domain is missing or not running; each gets a reconcile request. */
  private async domainDrift(
    management: ManagementCluster,
    wc: FleetObject,
    objects: readonly RenderedObject[],
    now: Date,
    signal: AbortSignal,
  ): Promise<DomainDrift[]> {
    const port = this.port();
    const hypervisors = port.hypervisors;
    if (!hypervisors) return [];
    const infraKinds = infraMachineKinds(objects);
    const machines: JsonObject[] = [];
    for (const k of infraKinds)
      machines.push(
        ...(await management.list(k.apiVersion, k.kind, wc.namespace, `${CLUSTER_NAME_LABEL}=${wc.name}`, signal)),
      );
    if (machines.length === 0) return [];
    const domains = new Map<string, LiveDomain[]>();
    for (const host of hypervisors.hosts()) {
      try {
        domains.set(host, await hypervisors.domains(host, signal));
      } catch (e) {
        if (signal.aborted) throw signal.reason;
        this.options.logger.warn(
          { host, error: message(e) },
          "KVM host unreadable: its machines are not judged this pass",
        );
      }
    }
    const drift = hypervisorDrift(machines, domains);
    for (const d of drift) {
      const m = machines.find((x) => obj(x["metadata"])["name"] === d.machine) as JsonObject;
      await management.patch(
        refOf(m),
        { metadata: { annotations: { [RECONCILE_REQUEST_ANNOTATION]: now.toISOString() } } },
        signal,
      );
      await this.event(
        wc,
        "Warning",
        "DomainDrift",
        `${String(m["kind"])} ${d.machine}: domain ${d.domain} on ${d.host} is ${d.live}; asked the provider to reconcile it`,
        signal,
      );
    }
    return drift;
  }

  async plan(input: PlanInput): Promise<RolloutPlan[]> {
    const out: RolloutPlan[] = [];
    for (const wc of input.objects) {
      const rendering = await this.render(wc, input.desired, input.signal);
      if (!rendering.ok) {
        out.push(
          emptyPlan(wc, `invalid: ${rendering.problems.length} problems`, [
            {
              kind: wc.kind,
              namespace: wc.namespace,
              name: wc.name,
              action: "invalid",
              fields: rendering.problems.map((p) => ({ pointer: "", to: p })),
            },
          ]),
        );
        continue;
      }
      const port = this.port();
      const record = (await port.readStatus(wcRef(wc), input.signal)) ?? {};
      const current =
        typeof record["managementCluster"] === "string" ? record["managementCluster"] : rendering.management.name;
      const live = port.managementCluster(current) ?? rendering.management;
      const objects: RenderedChange[] = [];
      const sets: MachineSetPlan[] = [];
      const machines = await live.list(
        MACHINE_API_VERSION,
        "Machine",
        wc.namespace,
        `${CLUSTER_NAME_LABEL}=${wc.name}`,
        input.signal,
      );
      for (const r of rendering.objects) {
        const liveObject = await live.get(refOf(r.object), input.signal);
        objects.push(renderedDiff(r.object, liveObject));
        if (
          r.object["kind"] === "MachineDeployment" ||
          obj(obj(r.object["spec"])["machineTemplate"])["infrastructureRef"] !== undefined ||
          String(r.object["kind"]).endsWith("ControlPlane")
        )
          sets.push(planMachines(r.object, liveObject, machines));
      }
      const previous = await readInventory(live, wc, input.signal);
      const want = new Set(rendering.objects.map((o) => keyOf(refOf(o.object))));
      for (const old of previous.refs.filter((r) => !want.has(keyOf(r))))
        objects.push({ kind: old.kind, namespace: old.namespace, name: old.name, action: "delete", fields: [] });
      if (current !== rendering.management.name)
        objects.unshift({
          kind: wc.kind,
          namespace: wc.namespace,
          name: wc.name,
          action: "move",
          fields: [{ pointer: "/spec/managementCluster", from: current, to: rendering.management.name }],
        });
      const drift = await this.planDrift(live, wc, rendering.objects, input.signal);
      for (const d of drift)
        objects.push({
          kind: "Domain",
          namespace: d.host,
          name: d.domain,
          action: "drift",
          fields: [{ pointer: `/${d.machine}`, from: d.live, to: "running" }],
        });
      const revision = String(
        obj(wc.body["spec"])["variables"] ? obj(obj(wc.body["spec"])["variables"])["KUBERNETES_VERSION"] : "",
      );
      out.push({
        kind: wc.kind,
        namespace: wc.namespace,
        name: wc.name,
        revision,
        strategy: "RollingUpdate",
        maxUnavailable: Math.max(0, ...sets.map((s) => s.maxUnavailable)),
        targets: sets.reduce((n, s) => n + s.desired, 0),
        unit: "machine",
        waves: sets.map((s) => ({
          name: `${s.kind} ${s.name}${s.fromVersion && s.toVersion && s.fromVersion !== s.toVersion ? ` ${s.fromVersion} → ${s.toVersion}` : ""} (maxSurge ${s.maxSurge}, maxUnavailable ${s.maxUnavailable})${s.replace.length > 0 ? `: replaces ${s.replace.join(", ")}` : ""}${s.add > 0 ? `; adds ${s.add}` : ""}${s.remove > 0 ? `; removes ${s.remove}` : ""}`,
          targets: s.desired,
          toUpdate: s.replace.length + s.add,
          approval: "auto" as const,
          approved: true,
          disruption: s.replace.length > 0 ? ("recreate" as const) : ("none" as const),
        })),
        toDelete: sets.reduce((n, s) => n + s.remove, 0),
        objects: objects.filter((o) => o.action !== "noop"),
      });
    }
    return out;
  }

  private async planDrift(
    live: ManagementCluster,
    wc: FleetObject,
    objects: readonly RenderedObject[],
    signal: AbortSignal,
  ): Promise<DomainDrift[]> {
    const hypervisors = this.port().hypervisors;
    if (!hypervisors) return [];
    const machines: JsonObject[] = [];
    for (const k of infraMachineKinds(objects))
      machines.push(
        ...(await live.list(k.apiVersion, k.kind, wc.namespace, `${CLUSTER_NAME_LABEL}=${wc.name}`, signal)),
      );
    const domains = new Map<string, LiveDomain[]>();
    for (const host of hypervisors.hosts()) {
      try {
        domains.set(host, await hypervisors.domains(host, signal));
      } catch {
        // an unreadable host is not judged
      }
    }
    return hypervisorDrift(machines, domains);
  }

  private async writeRecord(wc: FleetObject, status: Json, signal: AbortSignal): Promise<void> {
    try {
      await this.port().writeStatus(wcRef(wc), status, signal);
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      this.options.logger.warn(
        { object: `${wc.namespace}/${wc.name}`, error: message(e) },
        "WorkloadCluster status not written",
      );
    }
  }

  private async event(
    wc: FleetObject,
    type: "Normal" | "Warning",
    reason: string,
    text: string,
    signal: AbortSignal,
  ): Promise<void> {
    await this.backend.events.record(
      { apiVersion: wc.apiVersion, kind: wc.kind, namespace: wc.namespace, name: wc.name },
      { type, reason, message: text.length > 1000 ? `${text.slice(0, 997)}...` : text },
      signal,
    );
  }
}

function wcRef(wc: FleetObject): ClusterObjectRef {
  return { apiVersion: wc.apiVersion, kind: wc.kind, namespace: wc.namespace, name: wc.name };
}

/** spec.managementCluster, or the only management cluster configured. */
export function managementClusterOf(wc: FleetObject, port: WorkloadClusterPort): string | undefined {
  const named = obj(wc.body["spec"])["managementCluster"];
  if (typeof named === "string") return named;
  const all = port.managementClusterNames();
  return all.length === 1 ? all[0] : undefined;
}

function infraMachineKinds(objects: readonly RenderedObject[]): { apiVersion: string; kind: string }[] {
  const out = new Map<string, { apiVersion: string; kind: string }>();
  for (const o of objects) {
    const kind = String(o.object["kind"]);
    const apiVersion = String(o.object["apiVersion"]);
    if (apiVersion.startsWith("infrastructure.") && kind.endsWith("MachineTemplate")) {
      const k = { apiVersion, kind: kind.slice(0, -"Template".length) };
      out.set(`${k.apiVersion}|${k.kind}`, k);
    }
  }
  return [...out.values()];
}

function replicaRecord(r: NonNullable<WorkloadClusterReadout["controlPlane"]>): Json {
  return {
    kind: r.kind,
    name: r.name,
    desired: r.desired,
    replicas: r.replicas,
    readyReplicas: r.ready,
    updatedReplicas: r.updated,
    availableReplicas: r.available,
    ...(r.phase ? { phase: r.phase } : {}),
    ...(r.version ? { version: r.version } : {}),
    conditions: r.conditions.map((c) => ({ ...c })),
  };
}

function driftField(d: DomainDrift): DriftField {
  return { pointer: `/domains/${d.host}/${d.domain}`, desired: "running", live: d.live };
}

function emptyPlan(wc: FleetObject, revision: string, objects: RenderedChange[]): RolloutPlan {
  return {
    kind: wc.kind,
    namespace: wc.namespace,
    name: wc.name,
    revision,
    strategy: "RollingUpdate",
    maxUnavailable: 0,
    targets: 0,
    unit: "machine",
    waves: [],
    toDelete: 0,
    objects,
  };
}

void CONTROL_PLANE_NAME_LABEL;
