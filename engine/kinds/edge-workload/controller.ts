/**
 * The EdgeWorkload controller (seed 002). After the sink wrote each workload's applications into its
 * fleet's template (fleet mode), it reads the fleet's devices from Flightctl and takes one rollout
 * step (engine/rollout) for status and approvals: Flightctl rolls the batches out within the
 * disruption budget; when a wave needs a Git approval, every batch waits for Bosun, which lets the
 * next one start (`fleet-controller/rolloutApproved`) once its wave is open. In device mode (a
 * `deviceSelector`, devices outside any fleet) Bosun drives the rollout itself: the step's devices
 * get the applications, device by device, within `maxUnavailable`.
 *
 * Everything is derived from Flightctl's state and Git each pass, so a restarted engine resumes
 * where the last one was and writes nothing twice. Devices not seen for longer than the offline
 * timeout are unreachable: skipped, neither failed nor counted against the budget.
 */
import { refKey } from "../../model/object-ref.ts";
import type { Change } from "../../model/change.ts";
import type { Backend, FleetEvent } from "../../reconcile/ports.ts";
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
import { EDGE_FLEET, type EdgeDevice, type EdgeFleet, type EdgeFleetState } from "./ports.ts";
import { needsManualApproval } from "./rollout-policy.ts";
import { failedStatus, phaseOf, rolloutStatus } from "./status.ts";
import { evaluateWorkload, type WorkloadEvaluation } from "./targets.ts";
import { readWorkload, type EdgeWorkload } from "./workload.ts";

/** Failing devices named in status (all are counted). */
export const MAX_FAILING_DEVICES = 20;

interface Placement {
  readonly devices?: readonly EdgeDevice[];
  readonly fleet?: EdgeFleetState;
  readonly problem?: { reason: string; message: string };
}

export class EdgeWorkloadController implements KindController {
  /** Last event per workload (phase + message): an event only on change. */
  private readonly said = new Map<string, string>();

  constructor(
    private readonly backend: Backend,
    private readonly options: ControllerOptions,
  ) {}

  private port(): EdgeFleet | undefined {
    return this.backend.ports?.get(EDGE_FLEET);
  }

  async reconcile(input: ControllerInput): Promise<ControllerOutput> {
    const port = this.port();
    const { commit, signal } = input;
    if (!port) {
      return {
        statuses: input.objects.map((o) =>
          failedStatus(o, commit, "NotReconciled", `backend ${this.backend.name} offers no Flightctl devices`),
        ),
        changes: [],
        rollouts: [],
      };
    }
    const now = input.now.getTime();
    const workloads = input.objects.map((o) => readWorkload(o));
    const fleets = new Map<string, Promise<EdgeFleetState | undefined>>();
    const fleetOf = (name: string): Promise<EdgeFleetState | undefined> => {
      let p = fleets.get(name);
      if (!p) fleets.set(name, (p = port.fleet(name, signal)));
      return p;
    };
    const statuses: ObjectStatus[] = [];
    const rollouts: RolloutReport[] = [];
    const changes: Change[] = [];
    const events: Promise<void>[] = [];
    const approved = new Set<string>();

    for (const w of workloads) {
      const change = input.changes.get(refKey(w.object));
      if (change?.error) {
        const transient = change.error.kind === "transient";
        const status = failedStatus(
          w.object,
          commit,
          transient ? "FlightctlUnavailable" : "Rejected",
          change.error.message,
          transient,
        );
        statuses.push(status);
        rollouts.push({
          object: w.object,
          status,
          progressing: transient,
          summary: `${w.name}: ${change.error.message}`,
        });
        events.push(
          this.say(w, "Warning", transient ? "FlightctlUnavailable" : "Rejected", change.error.message, signal),
        );
        continue;
      }
      const placement = await this.place(w, port, fleetOf, signal);
      if (placement.problem) {
        const status = failedStatus(w.object, commit, placement.problem.reason, placement.problem.message);
        statuses.push(status);
        rollouts.push({
          object: w.object,
          status,
          progressing: false,
          summary: `${w.name}: ${placement.problem.message}`,
        });
        events.push(this.say(w, "Warning", placement.problem.reason, placement.problem.message, signal));
        continue;
      }
      const evaluation = evaluateWorkload({
        workload: w,
        devices: placement.devices ?? [],
        approvals: input.desired.approvals,
        now,
        offlineTimeoutMs: port.offlineTimeoutMs,
        maxFailing: MAX_FAILING_DEVICES,
      });
      const where = w.mode === "fleet" ? `fleet ${w.fleet}` : `${evaluation.counts.desired} devices outside fleets`;
      if (w.mode === "fleet") {
        await this.approveBatch(w, placement.fleet!, evaluation, port, approved, signal, events);
      } else {
        changes.push(...(await this.pushToDevices(w, evaluation, port, signal)));
      }
      const rolloutError = placement.fleet?.rolloutError;
      const status = rolloutStatus({
        object: w.object,
        commit,
        evaluation,
        where,
        ...(rolloutError ? { rolloutError } : {}),
      });
      statuses.push(status);
      const phase = phaseOf(evaluation, rolloutError);
      const c = evaluation.counts;
      rollouts.push({
        object: w.object,
        status,
        progressing: phase === "Progressing",
        summary: `${w.name}: ${phase} ${where}: ${c.updated}/${c.desired} updated, ${c.running} running, ${c.failed} failed, ${c.offline} offline`,
        ...(phase === "WaitingForApproval" || phase === "Paused"
          ? { waiting: status.conditions?.[0]?.message ?? "" }
          : {}),
        ...(evaluation.refused.length > 0 ? { refusedApprovals: [...evaluation.refused] } : {}),
      });
      events.push(
        this.say(w, phase === "Paused" ? "Warning" : "Normal", phase, status.conditions?.[0]?.message ?? phase, signal),
      );
      for (const r of evaluation.refused)
        events.push(this.say(w, "Warning", "ApprovalRefused", r, signal, `refused|${r}`));
    }
    await Promise.all(events);
    return { statuses, changes, rollouts };
  }

  async plan(input: PlanInput): Promise<RolloutPlan[]> {
    const port = this.port();
    if (!port) return [];
    const out: RolloutPlan[] = [];
    for (const o of input.objects) {
      const w = readWorkload(o);
      const placement = await this.place(w, port, (n) => port.fleet(n, input.signal), input.signal);
      const e = evaluateWorkload({
        workload: w,
        devices: placement.devices ?? [],
        approvals: input.desired.approvals,
        now: input.now.getTime(),
        offlineTimeoutMs: port.offlineTimeoutMs,
        maxFailing: MAX_FAILING_DEVICES,
      });
      out.push({
        kind: "EdgeWorkload",
        namespace: w.namespace,
        name: w.name,
        revision: w.revision,
        strategy: w.mode === "fleet" ? `Flightctl fleet ${w.fleet}` : "RollingUpdate",
        maxUnavailable: e.step.maxUnavailable,
        targets: e.counts.desired,
        unit: "device",
        waves: e.step.waves.map((wave) => ({
          name: wave.name,
          targets: wave.total,
          toUpdate: wave.toUpdate,
          approval: wave.approval,
          approved: wave.state !== "waiting-approval",
          disruption: wave.toUpdate > 0 ? ("restart" as const) : ("none" as const),
        })),
        toDelete: 0,
      });
    }
    return out;
  }

  /** The devices a workload targets, or why it has none. */
  private async place(
    w: EdgeWorkload,
    port: EdgeFleet,
    fleetOf: (name: string) => Promise<EdgeFleetState | undefined>,
    signal: AbortSignal,
  ): Promise<Placement> {
    if (w.mode === "fleet") {
      const fleet = await fleetOf(w.fleet!);
      if (!fleet)
        return {
          problem: {
            reason: "FleetNotFound",
            message: `EdgeWorkload ${w.key}: Flightctl has no fleet "${w.fleet}"; create it or fix spec.fleet (nothing was written)`,
          },
        };
      return { fleet, devices: fleet.devices };
    }
    const all = await port.devices(w.deviceSelector as Record<string, unknown>, signal);
    const free = all.filter((d) => d.owner === undefined);
    if (free.length === 0) {
      const owned =
        all.length > 0
          ? ` (${all.length} matching devices belong to fleets: ${[...new Set(all.map((d) => d.owner))].join(", ")}; use spec.fleet for them)`
          : "";
      return {
        problem: {
          reason: "NoMatchingDevices",
          message: `EdgeWorkload ${w.key}: spec.deviceSelector matches no Flightctl device outside a fleet${owned}; fix the selector (nothing was written)`,
        },
      };
    }
    return { devices: free };
  }

  /** Fleet mode with Git approvals: lets Flightctl start the next batch once Bosun's wave for it is open. */
  private async approveBatch(
    w: EdgeWorkload,
    fleet: EdgeFleetState,
    e: WorkloadEvaluation,
    port: EdgeFleet,
    approved: Set<string>,
    signal: AbortSignal,
    events: Promise<void>[],
  ): Promise<void> {
    if (!needsManualApproval(w) || approved.has(fleet.name)) return;
    const rolling = e.step.waves.findIndex((wave) => wave.state === "rolling");
    if (rolling < 0) return;
    const started = Number(fleet.annotations["fleet-controller/batchNumber"] ?? "0");
    if (started >= rolling + 1 || fleet.annotations["fleet-controller/rolloutApproved"] === "true") return;
    // Flightctl's batches are the declared waves plus its implicit final batch: batch n+1 = wave n.
    await port.approveBatch(fleet.name, signal);
    approved.add(fleet.name);
    const wave = e.step.waves[rolling]!.name;
    events.push(
      this.say(
        w,
        "Normal",
        "BatchApproved",
        `wave ${wave} opened: Flightctl batch ${rolling + 1} of fleet ${fleet.name} may start`,
        signal,
        `approve|${w.revision}|${wave}`,
      ),
    );
  }

  /** Device mode: the step's devices get the workload's applications now (within the budget). */
  private async pushToDevices(
    w: EdgeWorkload,
    e: WorkloadEvaluation,
    port: EdgeFleet,
    signal: AbortSignal,
  ): Promise<Change[]> {
    const out: Change[] = [];
    const queue = [...e.step.toApply];
    const ref = { apiVersion: "flightctl.io/v1beta1", kind: "Device", namespace: "", name: "" };
    const worker = async (): Promise<void> => {
      for (let t = queue.shift(); t; t = queue.shift()) {
        const device = t.device.name;
        try {
          await port.setDeviceApplications(device, w.key, w.applications, signal);
          out.push({
            action: "configured",
            ref: { ...ref, name: device },
            reason: `EdgeWorkload ${w.key} revision ${w.revision}`,
          });
        } catch (err) {
          if (signal.aborted) throw signal.reason;
          this.options.logger.warn(
            { err, device, workload: w.key },
            "writing a device's applications failed; retried next pass",
          );
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(16, queue.length) }, worker));
    return out;
  }

  private say(
    w: EdgeWorkload,
    type: FleetEvent["type"],
    reason: string,
    message: string,
    signal: AbortSignal,
    key?: string,
  ): Promise<void> {
    const k = `${w.key}|${key ?? "phase"}`;
    const text = `${reason}|${message}`;
    if (this.said.get(k) === text) return Promise.resolve();
    this.said.set(k, text);
    return this.backend.events.record(w.object, { type, reason, message }, signal);
  }
}
