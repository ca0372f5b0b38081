/**
 * The FARAgent controller (seed 000): after the generic pass wrote the agents' records, it drives
 * each agent's microVM on the Flintlock hosts from `spec.lifecycle.state`:
 *
 * - active, resurrect: a running microVM on the agent's revision. A missing one is placed (its kept
 *   root volume's host first, else capacity-aware placement) and created; a recreate (kernel, image,
 *   resources changed, or the VM failed or was deleted out of band) goes through one rollout step
 *   (engine/rollout) within `maxUnavailable` and at most one microVM down per host;
 * - sleep: the guest is asked to power down within a grace period, then the VM is deleted; the
 *   root volume stays on the host, and resurrect recreates the VM there from it;
 * - force-sleep: deleted at once, volume kept; blocked: no VM, and none is created;
 * - an agent whose host does not answer is `unknown` (unreachable): neither failed nor moved.
 *
 * Status (currentState, lastTransitionTime, host, microVM uid, conditions, the last transition's
 * reason) goes to the agent's status and to Git; every transition is an Event. The controller
 * derives everything from the hosts' microVMs and the agents' last status, so a restarted engine
 * resumes where it was and never creates a second VM for an agent.
 */
import type { Change } from "../../model/change.ts";
import { refKey, type ObjectRef } from "../../model/object-ref.ts";
import type { Backend, FleetEvent } from "../../reconcile/ports.ts";
import { targetRolloutStep } from "../../rollout/rollout-step.ts";
import type { TargetState } from "../../rollout/target-state.ts";
import type { ObjectStatus } from "../../status/types.ts";
import { digest } from "../canonical-json.ts";
import type {
  ControllerInput,
  ControllerOptions,
  ControllerOutput,
  KindController,
  PlanInput,
  RolloutPlan,
  RolloutReport,
} from "../registration.ts";
import { microVMObject, readAgent, type FarAgent, type LifecycleState } from "./agent.ts";
import { agentKey } from "./agent-key.ts";
import { agentStatus, objectStatus, type Memory } from "./agent-status.ts";
import { indexSnapshots } from "./live-vms.ts";
import { farAgentMetrics } from "./metrics.ts";
import { planAgents } from "./plan-agents.ts";
import { triage, type Target } from "./triage.ts";
import { failed, notReconciled, runningOutcome, unschedulable, type Outcome } from "./outcome.ts";
import { fits, placeOne, type HostUsage } from "./placement.ts";
import { MICROVM_FLEET, REVISION_LABEL, type LiveMicroVM, type MicroVMFleet } from "./ports.ts";

/** Recreates of a failing microVM on one revision before the agent is reported Failed. */
export const MAX_FAILED_RECREATES = 3;

const key = agentKey;
const reached = (state: LifecycleState): string => (state === "resurrect" ? "active" : state);

function stateOfVM(vm: LiveMicroVM | undefined): TargetState {
  if (!vm) return "missing";
  if (vm.state === "CREATED") return vm.intact ? "ready" : "failed";
  if (vm.state === "PENDING") return "pending";
  return "failed";
}

function onRevision(t: Target): boolean {
  const vm = t.vm;
  return !!vm && vm.state !== "FAILED" && vm.intact && vm.labels[REVISION_LABEL] === t.agent.revision;
}

export class FarAgentController implements KindController {
  private readonly memory = new Map<string, Memory>();
  private loaded = new Set<string>();

  constructor(
    private readonly backend: Backend,
    private readonly options: ControllerOptions,
  ) {}

  private fleet(): MicroVMFleet | undefined {
    return this.backend.ports?.get(MICROVM_FLEET);
  }

  async reconcile(input: ControllerInput): Promise<ControllerOutput> {
    const fleet = this.fleet();
    const { signal, commit } = input;
    const now = input.now;
    if (!fleet) {
      return {
        statuses: input.objects.map((o) => objectStatus(o, commit, notReconciled(this.backend.name))),
        changes: [],
        rollouts: [],
      };
    }
    const agents = input.objects.map(readAgent);
    await this.remember(agents, fleet, signal);
    const namespaces = [...new Set(agents.map((a) => a.namespace))].sort();
    const snapshots = await fleet.snapshot(namespaces, signal);
    const hostState = new Map(snapshots.map((s) => [s.host.name, s]));
    const reachable = (h: string): boolean => hostState.get(h)?.reachable ?? false;
    const hosts = fleet.hosts();
    const { byAgent, usage } = indexSnapshots(snapshots);

    const outcomes = new Map<string, Outcome>();
    const targets: Target[] = [];
    const changes: Change[] = [];
    const stops: Promise<void>[] = [];
    const selfHeal = input.desired.config.defaults.selfHeal;

    for (const agent of agents) {
      const k = key(agent);
      const mem = this.mem(k);
      if (mem.desired !== agent.state) {
        mem.desired = agent.state;
        mem.desiredSince = now.getTime();
      }
      const recordChange = input.changes.get(refKey(agent.object));
      if (recordChange?.error) {
        // The record is applied again next pass (e.g. its namespace comes from another backend in this pass).
        outcomes.set(k, { ...failed("RecordFailed", recordChange.error.message), progressing: true, host: mem.host });
        continue;
      }
      const triaged = triage(agent, byAgent.get(k) ?? [], mem, hostState);
      if (triaged.outcome) outcomes.set(k, triaged.outcome);
      if (triaged.target) targets.push(triaged.target);
      for (const v of triaged.stops) stops.push(fleet.stop(v.host, v.uid, v.graceMs, signal));
    }

    // One rollout step over every agent that wants a VM: recreates within maxUnavailable and one per host.
    const config = input.desired.config;
    const revision = digest(
      targets.map((t) => `${key(t.agent)}@${t.agent.revision}`),
      12,
    );
    const step = targetRolloutStep<Target>({
      revision,
      strategy: "RollingUpdate",
      maxUnavailable: config.defaults.rollout.maxUnavailable,
      waves: [{ name: "agents", approval: "auto", successThreshold: 0 }],
      paused: false,
      targets,
      waveOf: () => 0,
      stateOf: (t) => (t.unreachable ? "unreachable" : stateOfVM(t.vm)),
      runsRevision: onRevision,
      failureReason: (t, s) =>
        s === "unreachable" ? `host ${t.host} unreachable` : `microVM ${t.vm?.state ?? "missing"}`,
      nameOf: (t) => `${t.host ?? "-"}/${key(t.agent)}`,
      approvedWaves: new Set(),
      approveHint: () => "",
      noun: { singular: "microVM", plural: "microVMs" },
      maxFailing: 20,
      groupBudget: { groupOf: (t) => t.host ?? `unplaced/${key(t.agent)}`, maxUnavailablePerGroup: 1 },
    });
    const toApply = new Set(step.toApply);

    const creates: { target: Target; host: string }[] = [];
    for (const t of targets) {
      if (t.unreachable) continue;
      const k = key(t.agent);
      const mem = this.mem(k);
      const vm = t.vm;
      if (onRevision(t)) {
        mem.failures = 0;
        outcomes.set(k, runningOutcome(t.agent, vm as LiveMicroVM));
        continue;
      }
      if (!toApply.has(t)) {
        outcomes.set(
          k,
          vm && vm.state === "CREATED"
            ? {
                ...runningOutcome(t.agent, vm),
                reason: "WaitingForBudget",
                message: `runs revision ${vm.labels[REVISION_LABEL]}; recreate to ${t.agent.revision} waits for the rollout budget (maxUnavailable ${step.maxUnavailable}, 1 per host)`,
                progressing: true,
              }
            : {
                currentState: "pending",
                reason: "WaitingForBudget",
                message: "waits for the rollout budget",
                ready: false,
                progressing: true,
                host: t.host,
              },
        );
        continue;
      }
      if (vm?.state === "FAILED" && vm.labels[REVISION_LABEL] === t.agent.revision) {
        if (mem.failedRevision !== t.agent.revision) {
          mem.failedRevision = t.agent.revision;
          mem.failures = 0;
        }
        if (mem.failures >= MAX_FAILED_RECREATES) {
          outcomes.set(k, {
            ...failed(
              "MicroVMFailed",
              `microVM ${vm.uid} on ${vm.host} failed ${mem.failures + 1} times on revision ${t.agent.revision}; fix the spec or the host`,
            ),
            host: vm.host,
            uid: vm.uid,
          });
          continue;
        }
        mem.failures++;
      }
      if (!vm && !selfHeal && mem.currentState === "active" && mem.uid !== undefined) {
        outcomes.set(k, {
          currentState: "drifted",
          reason: "MicroVMMissing",
          message: `microVM ${mem.uid} on ${mem.host} is gone and self-heal is off: not recreated`,
          ready: false,
          progressing: false,
          warning: true,
          host: mem.host,
        });
        continue;
      }
      let host = vm?.host ?? t.host;
      if (host !== undefined && vm) {
        // A recreate stays on its host (the root volume is there) when the new size fits once the old VM is gone.
        const u = usage.get(host);
        const h = hosts.find((x) => x.name === host);
        const freed: HostUsage = {
          vcpu: (u?.vcpu ?? 0) - (vm.state === "FAILED" ? 0 : vm.vcpu),
          memoryMiB: (u?.memoryMiB ?? 0) - (vm.state === "FAILED" ? 0 : vm.memoryMiB),
          vms: u?.vms ?? 0,
        };
        if (h && !fits(h, freed, t.agent.vcpu, t.agent.memoryMiB)) {
          outcomes.set(
            k,
            unschedulable(
              "InsufficientCapacity",
              `${t.agent.vcpu} vCPU/${t.agent.memoryMiB} MiB does not fit on ${host} (the root volume is there)`,
              host,
            ),
          );
          continue;
        }
        if (u) {
          u.vcpu = freed.vcpu + t.agent.vcpu;
          u.memoryMiB = freed.memoryMiB + t.agent.memoryMiB;
        }
      } else {
        const kept =
          mem.host !== undefined && !t.evacuate && hosts.some((h) => h.name === mem.host) ? mem.host : undefined;
        const placed = placeOne(
          {
            key: k,
            vcpu: t.agent.vcpu,
            memoryMiB: t.agent.memoryMiB,
            host: t.agent.host,
            selects: t.agent.selects,
            ...(kept !== undefined ? { pinned: kept } : {}),
          },
          hosts,
          usage,
          reachable,
        );
        if ("unschedulable" in placed) {
          outcomes.set(k, unschedulable(placed.unschedulable, placed.message, kept));
          continue;
        }
        host = placed.host;
      }
      creates.push({ target: t, host: host as string });
    }

    await Promise.all(
      stops.map((p) => p.catch((e: unknown) => this.options.logger.warn({ err: e }, "stopping a microVM failed"))),
    );
    if (creates.length > 0) {
      const applied = await this.backend.sink.apply(
        creates.map((c) => microVMObject(c.target.agent, c.host)),
        signal,
      );
      creates.forEach((c, i) => {
        const change = applied[i];
        const k = key(c.target.agent);
        if (change) changes.push(change);
        if (change?.error) {
          outcomes.set(k, {
            ...failed(change.error.kind === "transient" ? "HostUnavailable" : "CreateFailed", change.error.message),
            progressing: change.error.kind === "transient",
            host: c.host,
          });
          return;
        }
        const resurrect =
          this.mem(k).currentState !== undefined &&
          this.mem(k).currentState !== "active" &&
          c.target.agent.state === "resurrect";
        const why = c.target.evacuate
          ? "Rescheduled"
          : c.target.vm
            ? c.target.vm.state === "FAILED" || !c.target.vm.intact
              ? "Recreating"
              : "Updating"
            : resurrect
              ? "Resurrecting"
              : this.mem(k).currentState === "active"
                ? "Recreating"
                : "Starting";
        outcomes.set(k, {
          currentState: "starting",
          reason: why,
          message: c.target.evacuate
            ? `host ${c.target.evacuate} is unreachable and the agent may move: microVM ${c.target.agent.name} created on ${c.host} (its kept volume stays on ${c.target.evacuate})`
            : `${change?.reason ?? "created"}: microVM ${c.target.agent.name} on ${c.host}`,
          ready: false,
          progressing: true,
          host: c.host,
        });
      });
    }

    const statuses: ObjectStatus[] = [];
    const rollouts: RolloutReport[] = [];
    const writes: Promise<void>[] = [];
    const byName = new Map(agents.map((a) => [key(a), a]));
    for (const [k, outcome] of outcomes) {
      const agent = byName.get(k) as FarAgent;
      const mem = this.mem(k);
      const transitioned = mem.currentState !== outcome.currentState;
      if (transitioned) {
        const event: FleetEvent = {
          type: outcome.warning || outcome.currentState === "failed" ? "Warning" : "Normal",
          reason: outcome.reason,
          message: `${mem.currentState ?? "new"} → ${outcome.currentState}: ${outcome.message}`,
        };
        writes.push(this.backend.events.record(agent.object, event, signal));
        if (mem.desiredSince !== undefined && outcome.currentState === reached(agent.state))
          farAgentMetrics.transition(agent.state, (now.getTime() - mem.desiredSince) / 1000);
        mem.currentState = outcome.currentState;
        mem.lastTransitionTime = now.toISOString();
      }
      mem.reason = outcome.reason;
      mem.message = outcome.message;
      if (outcome.host !== undefined) mem.host = outcome.host;
      if (outcome.uid !== undefined) mem.uid = outcome.uid;
      if (outcome.currentState === "active") mem.revision = agent.revision;
      const status = agentStatus(mem, outcome, agent);
      const json = JSON.stringify(status);
      if (json !== mem.written) {
        writes.push(
          fleet.writeStatus(agent.object, status, signal).then(
            () => void (mem.written = json),
            (e: unknown) => this.options.logger.warn({ err: e, agent: k }, "writing FARAgent status failed"),
          ),
        );
      }
      const gitStatus = objectStatus(agent.object, commit, outcome, mem);
      statuses.push(gitStatus);
      rollouts.push({
        object: agent.object,
        status: gitStatus,
        progressing: outcome.progressing,
        summary: `${agent.name}: ${outcome.currentState}${outcome.host ? ` on ${outcome.host}` : ""} (${outcome.reason})`,
      });
    }
    await Promise.all(writes);
    farAgentMetrics.states([...outcomes.values()].map((o) => o.currentState));
    return { statuses, changes, rollouts };
  }

  async plan(input: PlanInput): Promise<RolloutPlan[]> {
    const fleet = this.fleet();
    return fleet ? planAgents(fleet, input) : [];
  }

  private mem(k: string): Memory {
    let m = this.memory.get(k);
    if (!m) this.memory.set(k, (m = { failures: 0 }));
    return m;
  }

  /** After a (re)start: what each agent's last status said (its host, its kept volume, its state). */
  private async remember(agents: readonly FarAgent[], fleet: MicroVMFleet, signal: AbortSignal): Promise<void> {
    const unknown = agents.filter((a) => !this.loaded.has(key(a)));
    if (unknown.length === 0) return;
    const statuses = await fleet.readStatuses(
      unknown.map((a) => a.object as ObjectRef),
      signal,
    );
    for (const a of unknown) {
      const s = statuses.get(refKey(a.object));
      this.loaded.add(key(a));
      if (!s) continue;
      const m = this.mem(key(a));
      m.currentState ??= s.currentState;
      m.lastTransitionTime ??= s.lastTransitionTime;
      m.host ??= s.host;
      m.uid ??= s.microvmUID;
      m.revision ??= s.revision;
    }
  }
}
