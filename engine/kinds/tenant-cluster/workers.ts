/**
 * Worker VM identity (pure). A worker is proven Bosun's and this tenant's by its description, which
 * the clone carries from its first moment (Proxmox sets it with the clone), so a crash mid-clone
 * leaves a VM Bosun recognises and never clones twice:
 *
 *     Managed by Bosun (app.kubernetes.io/managed-by=bosun)
 *     bosun.dev/tenant-cluster=tenants/acme
 *     bosun.dev/worker=3
 *     bosun.dev/booted-size=4x8192
 *
 * `booted-size` is written just before each start: the size the guest runs with, so a resize that
 * still needs a restart is visible in live state after an engine restart. The VM name is
 * `<namespace>-<name>-w<index>` (also the tenant Node's name); the index grows with every new worker,
 * so the newest workers are the highest indices.
 */
export const MANAGED_LINE = "Managed by Bosun (app.kubernetes.io/managed-by=bosun)";
export const TENANT_KEY = "bosun.dev/tenant-cluster";
export const WORKER_KEY = "bosun.dev/worker";
export const BOOTED_KEY = "bosun.dev/booted-size";
/** Proxmox tag on every worker (tags are filters only: ownership is the description). */
export const WORKER_TAG = "bosun-tenant-worker";

export interface WorkerIdentity {
  readonly tenant: string;
  readonly index: number;
  readonly bootedSize: string | undefined;
}

export function workerName(tenant: { namespace: string; name: string }, index: number): string {
  return `${tenant.namespace}-${tenant.name}-w${index}`;
}

export function sizeOf(cores: number, memoryMiB: number): string {
  return `${cores}x${memoryMiB}`;
}

export function workerDescription(tenantKey: string, index: number, bootedSize?: string): string {
  return [
    MANAGED_LINE,
    `${TENANT_KEY}=${tenantKey}`,
    `${WORKER_KEY}=${index}`,
    ...(bootedSize ? [`${BOOTED_KEY}=${bootedSize}`] : []),
  ].join("\n");
}

/** The identity a description proves, or undefined when the VM is not a Bosun worker. */
export function parseWorkerDescription(description: string | undefined): WorkerIdentity | undefined {
  if (description === undefined) return undefined;
  const lines = description.split(/\r?\n/).map((l) => l.trim());
  if (!lines.includes(MANAGED_LINE)) return undefined;
  const value = (k: string): string | undefined => lines.find((l) => l.startsWith(`${k}=`))?.slice(k.length + 1);
  const tenant = value(TENANT_KEY);
  const index = Number(value(WORKER_KEY));
  if (!tenant || !Number.isInteger(index) || index < 1) return undefined;
  return { tenant, index, bootedSize: value(BOOTED_KEY) };
}
