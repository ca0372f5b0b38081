import { describe, expect, it } from "vitest";
import { ProxmoxError } from "./errors.ts";

describe("ProxmoxError", () => {
  it("names the server, method, path, status and reason, with the per-parameter errors", () => {
    const e = new ProxmoxError(
      "pve:8006",
      "POST",
      "/nodes/pve1/qemu/9000/clone",
      400,
      "Parameter verification failed.\n",
      { errors: { newid: "value must have a minimum value of 100" } },
    );
    expect(e.message).toBe(
      "proxmox pve:8006: POST /nodes/pve1/qemu/9000/clone: 400 Parameter verification failed. (newid: value must have a minimum value of 100)",
    );
    expect(e.code).toBe("PROXMOX_INVALID");
    expect(e.reason).toBe("Parameter verification failed.");
  });

  it("classifies: not found, forbidden, unauthorized, transient", () => {
    const at = (status: number, reason: string): ProxmoxError => new ProxmoxError("pve", "GET", "/x", status, reason);
    expect(at(500, "Configuration file 'nodes/pve1/qemu-server/9.conf' does not exist").notFound).toBe(true);
    expect(at(500, "VM 100 is running - destroy failed").notFound).toBe(false);
    expect(at(403, "Permission check failed (/vms/100, VM.PowerMgmt)").forbidden).toBe(true);
    expect(at(401, "No ticket").unauthorized).toBe(true);
    expect(at(0, "ECONNREFUSED").transient).toBe(true);
    expect(at(0, "ECONNREFUSED").code).toBe("PROXMOX_UNREACHABLE");
    expect(at(503, "Service Unavailable").transient).toBe(true);
    expect(at(500, "can't lock file '/var/lock/qemu-server/lock-100.conf' - got timeout").transient).toBe(true);
    expect(at(500, "VM 100 is running - destroy failed").transient).toBe(false);
  });
});
