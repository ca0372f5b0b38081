import { agentKey } from "./agent-key.ts";
import { charge, type HostUsage } from "./placement.ts";
import { REVISION_LABEL, type HostSnapshot, type LiveMicroVM } from "./ports.ts";

/** The hosts' microVMs by agent (Bosun's only), and each host's usage (every VM that holds resources). */
export function indexSnapshots(snapshots: readonly HostSnapshot[]): {
  byAgent: Map<string, LiveMicroVM[]>;
  usage: Map<string, HostUsage>;
} {
  const byAgent = new Map<string, LiveMicroVM[]>();
  const usage = new Map<string, HostUsage>();
  for (const s of snapshots) {
    usage.set(s.host.name, { vcpu: 0, memoryMiB: 0, vms: 0 });
    for (const vm of s.vms) {
      if (vm.state !== "DELETING" && vm.state !== "FAILED") charge(usage, vm.host, vm.vcpu, vm.memoryMiB);
      if (!vm.managedByBosun) continue;
      const k = agentKey(vm);
      let list = byAgent.get(k);
      if (!list) byAgent.set(k, (list = []));
      list.push(vm);
    }
  }
  return { byAgent, usage };
}

/** The microVM to keep of several: running, on the revision, on the host the agent was last placed on. */
export function pickVM(
  vms: readonly LiveMicroVM[],
  revision: string,
  host: string | undefined,
): LiveMicroVM | undefined {
  const score = (v: LiveMicroVM): number =>
    (v.state === "CREATED" ? 8 : v.state === "PENDING" ? 4 : 0) +
    (v.host === host ? 2 : 0) +
    (v.labels[REVISION_LABEL] === revision ? 1 : 0);
  return [...vms].sort((a, b) => score(b) - score(a) || (a.uid < b.uid ? -1 : 1))[0];
}
