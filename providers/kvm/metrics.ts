import { Counter, Gauge, Registry } from "prom-client";

export interface ObjectMeta {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly creationTimestamp?: string;
  readonly deletionTimestamp?: string;
}

/**
 * The provider's Prometheus metrics (own registry). The three per-object series keep operatorkit's names, so the
 * alerts the seed points at (operatorkit.rules.yml) work unchanged:
 * `operatorkit_controller_creation_timestamp`, `operatorkit_controller_deletion_timestamp` (only while an object is
 * being deleted) and `operatorkit_controller_last_reconciled`, each `{controller, kind, namespace, name}`, in Unix
 * seconds. An object that is gone loses its series.
 */
export class ProviderMetrics {
  readonly registry = new Registry();
  private readonly creation: Gauge;
  private readonly deletion: Gauge;
  private readonly lastReconciled: Gauge;
  readonly reconcileErrors: Counter;
  readonly domainsCreated: Counter;
  readonly domainsDeleted: Counter;

  constructor() {
    const labelNames = ["controller", "kind", "namespace", "name"];
    this.creation = new Gauge({
      name: "operatorkit_controller_creation_timestamp",
      help: "Creation time of each reconciled object (Unix seconds).",
      labelNames,
      registers: [this.registry],
    });
    this.deletion = new Gauge({
      name: "operatorkit_controller_deletion_timestamp",
      help: "Deletion time of each object being deleted (Unix seconds).",
      labelNames,
      registers: [this.registry],
    });
    this.lastReconciled = new Gauge({
      name: "operatorkit_controller_last_reconciled",
      help: "When each object was last reconciled successfully (Unix seconds).",
      labelNames,
      registers: [this.registry],
    });
    this.reconcileErrors = new Counter({
      name: "bosun_kvm_provider_reconcile_errors_total",
      help: "Failed reconciles by controller and reason.",
      labelNames: ["controller", "reason"],
      registers: [this.registry],
    });
    this.domainsCreated = new Counter({
      name: "bosun_kvm_provider_domains_created_total",
      help: "libvirt domains defined (first create and recreate after an out-of-band removal).",
      registers: [this.registry],
    });
    this.domainsDeleted = new Counter({
      name: "bosun_kvm_provider_domains_deleted_total",
      help: "libvirt domains removed behind the finalizer.",
      registers: [this.registry],
    });
  }

  /** Records an object's timestamps at the start of a reconcile. */
  observe(controller: string, o: ObjectMeta): void {
    const labels = { controller, kind: o.kind, namespace: o.namespace, name: o.name };
    if (o.creationTimestamp) this.creation.set(labels, Date.parse(o.creationTimestamp) / 1000);
    if (o.deletionTimestamp) this.deletion.set(labels, Date.parse(o.deletionTimestamp) / 1000);
    else this.deletion.remove(labels);
  }

  reconciled(controller: string, o: ObjectMeta, now: Date): void {
    this.lastReconciled.set({ controller, kind: o.kind, namespace: o.namespace, name: o.name }, now.getTime() / 1000);
  }

  /** The object is gone: its series go too. */
  forget(controller: string, kind: string, namespace: string, name: string): void {
    const labels = { controller, kind, namespace, name };
    this.creation.remove(labels);
    this.deletion.remove(labels);
    this.lastReconciled.remove(labels);
  }
}
