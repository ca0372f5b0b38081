/**
 * Proxmox and Kubernetes failures as TenantCluster status reasons (TenantStepError): a task that
 * failed, a task still running at the deadline, an unreachable or erroring API, a lock.
 */
import { ProxmoxError, ProxmoxTaskError, ProxmoxTaskTimeoutError } from "../../clients/proxmox/index.ts";
import { TenantStepError } from "../../engine/kinds/tenant-cluster/ports.ts";

export function stepError(what: string, e: unknown): TenantStepError {
  if (e instanceof TenantStepError) return e;
  if (e instanceof ProxmoxTaskError)
    return new TenantStepError("ProxmoxTaskFailed", `${what}: Proxmox task ${e.type} failed: ${e.exitstatus}`, {
      cause: e,
    });
  if (e instanceof ProxmoxTaskTimeoutError)
    return new TenantStepError(
      "ProxmoxTimeout",
      `${what}: Proxmox task ${e.type} still running after ${Math.round(e.waitedMs / 1000)} s (resumed next pass)`,
      { cause: e },
    );
  if (e instanceof ProxmoxError) {
    if (e.unauthorized || e.forbidden)
      return new TenantStepError(
        "ProxmoxAccessDenied",
        `${what}: ${e.status} ${e.reason}; check the API token and its privileges`,
        { cause: e },
      );
    if (/locked/i.test(e.reason))
      return new TenantStepError("ProxmoxLocked", `${what}: ${e.reason} (retried next pass)`, { cause: e });
    return new TenantStepError(
      "ProxmoxUnavailable",
      `${what}: Proxmox answered ${e.status === 0 ? "nothing" : e.status} ${e.reason} (retried next pass)`,
      { cause: e },
    );
  }
  const msg = e instanceof Error ? e.message : String(e);
  return new TenantStepError("StepFailed", `${what}: ${msg}`, { cause: e });
}
