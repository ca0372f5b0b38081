import { Gauge, Registry } from "prom-client";

/**
 * TenantCluster metrics, on a registry of their own (served next to the engine's: app/ merges it):
 * `bosun_tenant_cluster_phase{namespace,name,phase}` (1 for the current phase),
 * `bosun_tenant_cluster_nodes_ready` / `_nodes_desired` per tenant, and per worker VM from Proxmox
 * `bosun_tenant_cluster_vm_cpu_ratio{namespace,name,vm}` (share of its cores in use) and
 * `bosun_tenant_cluster_vm_memory_bytes{…}`.
 */
const PHASES = ["Pending", "Provisioning", "Ready", "Updating", "Stopped", "Deleting", "Failed"];

export class TenantClusterMetrics {
  readonly registry = new Registry();
  private readonly phase = new Gauge({
    name: "bosun_tenant_cluster_phase",
    help: "1 for the TenantCluster's current phase.",
    labelNames: ["namespace", "name", "phase"],
    registers: [this.registry],
  });
  private readonly nodesReady = new Gauge({
    name: "bosun_tenant_cluster_nodes_ready",
    help: "Tenant Nodes Ready (of the cluster's worker VMs).",
    labelNames: ["namespace", "name"],
    registers: [this.registry],
  });
  private readonly nodesDesired = new Gauge({
    name: "bosun_tenant_cluster_nodes_desired",
    help: "Workers the TenantCluster wants (spec.workers.count).",
    labelNames: ["namespace", "name"],
    registers: [this.registry],
  });
  private readonly vmCpu = new Gauge({
    name: "bosun_tenant_cluster_vm_cpu_ratio",
    help: "CPU in use of a worker VM as a share of its cores (Proxmox).",
    labelNames: ["namespace", "name", "vm"],
    registers: [this.registry],
  });
  private readonly vmMemory = new Gauge({
    name: "bosun_tenant_cluster_vm_memory_bytes",
    help: "Memory in use of a worker VM (Proxmox).",
    labelNames: ["namespace", "name", "vm"],
    registers: [this.registry],
  });
  private readonly vmSeries = new Map<string, Set<string>>();
  private readonly all = [this.phase, this.nodesReady, this.nodesDesired, this.vmCpu, this.vmMemory];

  registerOn(registry: Registry): void {
    for (const m of this.all) {
      const name = (m as unknown as { name: string }).name;
      if (!registry.getSingleMetric(name)) registry.registerMetric(m);
    }
  }

  report(
    tenant: { namespace: string; name: string },
    phase: string,
    nodes: { ready: number; desired: number },
    vms: readonly { name: string; cpu?: number; memBytes?: number }[],
  ): void {
    const t = { namespace: tenant.namespace, name: tenant.name };
    for (const p of PHASES) this.phase.set({ ...t, phase: p }, p === phase ? 1 : 0);
    this.nodesReady.set(t, nodes.ready);
    this.nodesDesired.set(t, nodes.desired);
    const key = `${tenant.namespace}/${tenant.name}`;
    const series = this.vmSeries.get(key) ?? new Set<string>();
    this.vmSeries.set(key, series);
    for (const vm of vms) {
      series.add(vm.name);
      if (vm.cpu !== undefined) this.vmCpu.set({ ...t, vm: vm.name }, vm.cpu);
      if (vm.memBytes !== undefined) this.vmMemory.set({ ...t, vm: vm.name }, vm.memBytes);
    }
  }

  /** A tenant (or some of its VMs) gone: their series go too. */
  forget(of: { namespace: string; name: string }, keepVms: readonly string[] = []): void {
    const tenant = { namespace: of.namespace, name: of.name };
    const key = `${tenant.namespace}/${tenant.name}`;
    const keep = new Set(keepVms);
    const series = this.vmSeries.get(key) ?? new Set<string>();
    for (const vm of [...series]) {
      if (keep.has(vm)) continue;
      this.vmCpu.remove({ ...tenant, vm });
      this.vmMemory.remove({ ...tenant, vm });
      series.delete(vm);
    }
    if (keepVms.length === 0) {
      this.vmSeries.delete(key);
      for (const p of PHASES) this.phase.remove({ ...tenant, phase: p });
      this.nodesReady.remove(tenant);
      this.nodesDesired.remove(tenant);
    }
  }
}

export const tenantClusterMetrics = new TenantClusterMetrics();
