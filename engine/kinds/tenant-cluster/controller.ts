/**
 * The TenantCluster controller (seed 001): after the generic pass wrote the TenantCluster records,
 * it drives each tenant from live state (decide.ts): the Kamaji TenantControlPlane first, then the
 * worker VMs on Proxmox (clone → size, disk, cloud-init join data → start → Node Ready), scale up
 * and down (newest first), resize within a restart budget per Proxmox node, power state and version
 * updates. Up to three rounds per pass (a clone is configured and started in the same pass), each
 * read from live state again. Status goes to the record's status subresource, to Git, to Events on
 * phase changes and to Prometheus. Deletion (reverse order) is the sink's (`TenantFleet` teardown).
 */
import type { Change } from "../../model/change.ts";
import { refKey, type ObjectRef } from "../../model/object-ref.ts";
import type { Backend } from "../../reconcile/ports.ts";
import type { ObjectStatus } from "../../status/types.ts";
import type {
  ControllerInput,
  ControllerOptions,
  ControllerOutput,
  KindController,
  PlanInput,
  RolloutPlan,
  RolloutReport,
} from "../registration.ts";
import { decide, type DecideOptions, type Step } from "./decide.ts";
import { tenantClusterMetrics } from "./metrics.ts";
import {
  TENANT_FLEET,
  TenantStepError,
  type JoinData,
  type TenantClusterStatus,
  type TenantFleet,
  type TenantSnapshot,
} from "./ports.ts";
import { readTenantCluster, type TenantCluster } from "./spec.ts";
import { assess, objectStatus, type Assessment, type StepError } from "./status.ts";

const ROUNDS = 3;
const CONCURRENCY = 8;

function stepErrorOf(what: string, e: unknown): StepError {
  if (e instanceof TenantStepError) return { reason: e.reason, message: `${what}: ${e.message}` };
  const msg = e instanceof Error ? e.message : String(e);
  const kind = (e as { kind?: string }).kind;
  return { reason: kind === "permanent" ? "StepFailed" : "StepRetrying", message: `${what}: ${msg}` };
}

const acted = (s: Step): boolean =>
  s.applyTcp ||
  s.duplicates.length +
    s.removals.length +
    s.clones.length +
    s.resizes.length +
    s.configures.length +
    s.starts.length +
    s.restarts.length +
    s.shutdowns.length >
    0;

async function limited<T>(items: readonly T[], n: number, f: (x: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(n, queue.length) }, async () => {
      for (let x = queue.shift(); x !== undefined; x = queue.shift()) await f(x);
    }),
  );
}

export class TenantClusterController implements KindController {
  private readonly written = new Map<string, string>();
  private readonly phases = new Map<string, string>();

  constructor(
    private readonly backend: Backend,
    private readonly options: ControllerOptions & DecideOptions,
  ) {}

  private fleet(): TenantFleet | undefined {
    return this.backend.ports?.get(TENANT_FLEET);
  }

  async reconcile(input: ControllerInput): Promise<ControllerOutput> {
    const fleet = this.fleet();
    const statuses: ObjectStatus[] = [];
    const rollouts: RolloutReport[] = [];
    const changes: Change[] = [];
    if (!fleet) {
      for (const o of input.objects)
        statuses.push({
          kind: o.kind,
          namespace: o.namespace,
          name: o.name,
          observedCommit: input.commit,
          phase: "NotReconciled",
          conditions: [
            {
              type: "Ready",
              status: "Unknown",
              reason: "NotReconciled",
              message: `backend ${this.backend.name} offers no tenant fleet`,
            },
          ],
        });
      return { statuses, changes, rollouts };
    }
    await limited(input.objects, CONCURRENCY, async (object) => {
      const t = readTenantCluster(object);
      const recordChange = input.changes.get(refKey(object));
      let a: Assessment;
      if (recordChange?.error) {
        a = this.unavailable(
          t,
          "RecordFailed",
          `the TenantCluster record could not be applied: ${recordChange.error.message}`,
          input.now,
        );
      } else {
        a = await this.drive(t, fleet, input.now, input.signal);
      }
      const status = objectStatus(object, input.commit, a);
      statuses.push(status);
      rollouts.push({
        object,
        status,
        progressing: a.progressing,
        summary: `${t.key}: ${a.phase} (${a.status.nodesReady}/${t.workers.count} nodes Ready) ${a.reason}`,
        ...(a.phase === "Failed" ? { waiting: a.message } : {}),
      });
      await this.report(t, a, fleet, input.signal);
    });
    statuses.sort((x, y) => `${x.namespace}/${x.name}`.localeCompare(`${y.namespace}/${y.name}`));
    return { statuses, changes, rollouts };
  }

  plan(_input: PlanInput): Promise<RolloutPlan[]> {
    return Promise.resolve([]);
  }

  private unavailable(t: TenantCluster, reason: string, message: string, now: Date): Assessment {
    const status: TenantClusterStatus = {
      phase: "Pending",
      reason,
      message,
      nodesReady: 0,
      nodesTotal: 0,
      workers: { desired: t.workers.count, current: 0, running: 0 },
      vms: [],
      conditions: [{ type: "Ready", status: "Unknown", reason, message, lastTransitionTime: now.toISOString() }],
    };
    return { phase: "Pending", reason, message, progressing: true, status };
  }

  /** Up to ROUNDS rounds of snapshot → decide → act, then the status of the last snapshot. */
  private async drive(t: TenantCluster, fleet: TenantFleet, now: Date, signal: AbortSignal): Promise<Assessment> {
    const errors: StepError[] = [];
    let live: TenantSnapshot | undefined;
    let step: Step | undefined;
    for (let round = 0; round < ROUNDS; round++) {
      try {
        live = await fleet.snapshot(t, signal);
      } catch (e) {
        if (signal.aborted) throw signal.reason;
        const err = stepErrorOf("reading live state", e);
        if (live === undefined) return this.unavailable(t, err.reason, err.message, now);
        errors.push(err);
        break;
      }
      step = decide(t, live, this.options);
      if (!acted(step) || errors.length > 0) break;
      errors.push(...(await this.act(t, live, step, fleet, signal)));
    }
    const a = assess(t, live as TenantSnapshot, step as Step, errors, now);
    return a;
  }

  private async act(
    t: TenantCluster,
    live: TenantSnapshot,
    step: Step,
    fleet: TenantFleet,
    signal: AbortSignal,
  ): Promise<StepError[]> {
    const errors: StepError[] = [];
    const attempt = async (what: string, f: () => Promise<void>): Promise<boolean> => {
      try {
        await f();
        return true;
      } catch (e) {
        if (signal.aborted) throw signal.reason;
        errors.push(stepErrorOf(what, e));
        this.options.logger.warn({ tenant: t.key, err: e }, `tenant cluster step failed: ${what}`);
        return false;
      }
    };
    await limited(step.duplicates, CONCURRENCY, (w) =>
      attempt(`removing duplicate VM ${w.vmid} (${w.name})`, () => fleet.destroyWorker(w, signal)).then(
        () => undefined,
      ),
    );
    if (step.applyTcp) await attempt(`applying TenantControlPlane ${t.key}`, () => fleet.applyTcp(t, signal));
    if (!step.tcpReady) return errors;
    // Scale down, newest first, one at a time.
    for (const w of step.removals) {
      const ok = await attempt(`removing worker ${w.name}`, async () => {
        if (live.nodes !== undefined) await fleet.deleteNode(t, w.name, signal);
        await fleet.destroyWorker(w, signal);
      });
      if (!ok) break;
    }
    await limited(step.clones, CONCURRENCY, (c) =>
      attempt(`cloning worker ${c.index} onto ${c.node}`, () => fleet.cloneWorker(t, c.index, c.node, signal)).then(
        () => undefined,
      ),
    );
    await limited(step.resizes, CONCURRENCY, (w) =>
      attempt(`resizing worker ${w.name}`, () => fleet.resizeWorker(t, w, signal)).then(() => undefined),
    );
    let join: JoinData | undefined;
    const notConfigured = new Set<number>();
    if (step.configures.length > 0) {
      const token = await attempt("creating the join token", async () => void (join = await fleet.joinData(t, signal)));
      await limited(step.configures, CONCURRENCY, async (w) => {
        const ok =
          token &&
          (await attempt(`configuring worker ${w.name}`, () => fleet.configureWorker(t, w, join as JoinData, signal)));
        if (!ok) notConfigured.add(w.vmid);
      });
    }
    await limited(
      step.starts.filter((w) => !notConfigured.has(w.vmid)),
      CONCURRENCY,
      (w) => attempt(`starting worker ${w.name}`, () => fleet.startWorker(t, w, signal)).then(() => undefined),
    );
    await limited(step.restarts, CONCURRENCY, (w) =>
      attempt(`restarting worker ${w.name} for its new size`, async () => {
        await fleet.shutdownWorker(w, signal);
        await fleet.startWorker(t, w, signal);
      }).then(() => undefined),
    );
    await limited(step.shutdowns, CONCURRENCY, (w) =>
      attempt(`stopping worker ${w.name}`, () => fleet.shutdownWorker(w, signal)).then(() => undefined),
    );
    return errors;
  }

  private async report(t: TenantCluster, a: Assessment, fleet: TenantFleet, signal: AbortSignal): Promise<void> {
    const k = t.key;
    const ref: ObjectRef = {
      apiVersion: t.object.apiVersion,
      kind: t.object.kind,
      namespace: t.namespace,
      name: t.name,
    };
    const before = this.phases.get(k);
    if (before !== a.phase) {
      this.phases.set(k, a.phase);
      await this.backend.events.record(
        ref,
        {
          type: a.phase === "Failed" ? "Warning" : "Normal",
          reason: a.phase === "Failed" ? a.reason : `Tenant${a.phase}`,
          message: `${before ?? "new"} → ${a.phase}: ${a.message}`,
        },
        signal,
      );
    }
    // Status without the transition time decides whether it changed (no write per pass).
    const json = JSON.stringify({ ...a.status, lastTransitionTime: undefined, conditions: a.status.conditions });
    if (this.written.get(k) !== json) {
      try {
        await fleet.writeStatus(ref, a.status, signal);
        this.written.set(k, json);
      } catch (e) {
        if (signal.aborted) throw signal.reason;
        this.options.logger.warn({ tenant: k, err: e }, "writing TenantCluster status failed");
      }
    }
    tenantClusterMetrics.report(
      t,
      a.phase,
      { ready: a.status.nodesReady, desired: t.workers.count },
      a.status.vms.map((v) => ({
        name: v.name,
        ...(v.cpuPercent !== undefined ? { cpu: v.cpuPercent / 100 } : {}),
        ...(v.memoryBytes !== undefined ? { memBytes: v.memoryBytes } : {}),
      })),
    );
    tenantClusterMetrics.forget(
      t,
      a.status.vms.map((v) => v.name),
    );
  }
}
