import { resolveMaxUnavailable } from "../../rollout/max-unavailable.ts";
import { digest } from "../canonical-json.ts";
import type { PlanInput, RolloutPlan, WavePlan } from "../registration.ts";
import { readAgent, wantsVM } from "./agent.ts";
import { agentKey } from "./agent-key.ts";
import { indexSnapshots } from "./live-vms.ts";
import { REVISION_LABEL, type MicroVMFleet } from "./ports.ts";

/**
 * What a commit would do to the agents' microVMs, grouped per host (one wave each: recreates go one per host),
 * read from the hosts without writing.
 */
export async function planAgents(fleet: MicroVMFleet, input: PlanInput): Promise<RolloutPlan[]> {
  if (input.objects.length === 0) return [];
  const agents = input.objects.map(readAgent);
  const namespaces = [...new Set(agents.map((a) => a.namespace))].sort();
  const snapshots = await fleet.snapshot(namespaces, input.signal);
  const { byAgent } = indexSnapshots(snapshots);
  const unreachable = new Set(snapshots.filter((s) => !s.reachable).map((s) => s.host.name));
  // Per host: its microVMs (running or wanted) and the creates, recreates and stops this commit needs.
  const perHost = new Map<string, { targets: number; toUpdate: number }>();
  let toUpdate = 0;
  for (const a of agents) {
    const vm = (byAgent.get(agentKey(a)) ?? []).find((v) => v.state !== "DELETING");
    if (!vm && !wantsVM(a.state)) continue;
    const host = vm?.host ?? a.host ?? "(placement)";
    const entry = perHost.get(host) ?? { targets: 0, toUpdate: 0 };
    entry.targets++;
    const change = wantsVM(a.state) ? !vm || vm.labels[REVISION_LABEL] !== a.revision : true;
    if (change && !unreachable.has(host)) {
      entry.toUpdate++;
      toUpdate++;
    }
    perHost.set(host, entry);
  }
  const waves: WavePlan[] = [...perHost]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, e]) => ({
      name,
      targets: e.targets,
      toUpdate: e.toUpdate,
      approval: "auto",
      approved: true,
      disruption: e.toUpdate > 0 ? "recreate" : "none",
    }));
  if (toUpdate === 0) return [];
  return [
    {
      kind: "FARAgent",
      namespace: namespaces.join(","),
      name: "microvms",
      revision: digest(
        agents.map((a) => a.revision),
        12,
      ),
      strategy: "RollingUpdate (1 per host)",
      maxUnavailable: resolveMaxUnavailable(input.desired.config.defaults.rollout.maxUnavailable, agents.length),
      targets: agents.length,
      unit: "microVM",
      waves,
      toDelete: 0,
    },
  ];
}
