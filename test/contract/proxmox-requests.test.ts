/**
 * The client's requests against the spec's parameter schemas, without the lab in between: every
 * parameter set the client builds (clone, config with every field, shutdown, destroy, tasks) passes
 * PVE::JSONSchema verification of ../shared/specs/proxmox (the lab's verifier, spec.ts), and one
 * that should not (a VMID below 100) does not.
 */
import { describe, expect, it } from "vitest";
import { cloneParams, configParams } from "../../clients/proxmox/index.ts";
import { ApiSchema } from "../../lab/proxmox/index.ts";
import { verifyParameters } from "../../lab/proxmox/spec.ts";

const schema = new ApiSchema();
function verify(method: string, path: string, params: Record<string, string | number>): Record<string, string> {
  const r = schema.route(method, path);
  if (!r || r === "no-method") throw new Error(`${method} ${path} is not in the spec`);
  const raw: Record<string, string> = { ...r.pathParams };
  for (const [k, v] of Object.entries(params)) raw[k] = String(v);
  return verifyParameters(r.info, raw).errors;
}

describe("the client's requests conform to the spec's parameter schemas", () => {
  it("clone with every option", () => {
    const p = cloneParams({
      newid: 101,
      name: "acme-w1",
      full: true,
      target: "pve2",
      storage: "vmstore",
      pool: "tenants",
      description: "Bosun worker",
      snapname: "base",
      format: "qcow2",
    });
    expect(verify("POST", "/nodes/pve1/qemu/9000/clone", p)).toEqual({});
    expect(verify("POST", "/nodes/pve1/qemu/9000/clone", cloneParams({ newid: 99 }))).toEqual({
      newid: "value must have a minimum value of 100",
    });
  });

  it("config (sync and async) with every field the client knows", () => {
    const p = configParams({
      name: "acme-w1",
      cores: 4,
      sockets: 1,
      memory: 8192,
      description: "d",
      tags: ["tenant-acme", "bosun"],
      onboot: true,
      agent: true,
      ciuser: "bosun",
      sshkeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI+x/y= bosun@lab"],
      ipconfig: { 0: { ip: "10.0.0.5/24", gw: "10.0.0.1" }, 1: { ip: "dhcp" } },
      nameserver: "10.0.0.53",
      searchdomain: "lab.example",
      cicustom: { user: "snippets:snippets/acme-w1.yaml" },
      delete: ["ide3", "net1"],
      digest: "0123456789abcdef0123456789abcdef01234567",
    });
    expect(verify("PUT", "/nodes/pve1/qemu/101/config", p)).toEqual({});
    expect(verify("POST", "/nodes/pve1/qemu/101/config", p)).toEqual({});
  });

  it("power, resize, destroy and task calls", () => {
    expect(verify("POST", "/nodes/pve1/qemu/101/status/shutdown", { timeout: 60, forceStop: 1 })).toEqual({});
    expect(verify("POST", "/nodes/pve1/qemu/101/status/start", {})).toEqual({});
    expect(verify("POST", "/nodes/pve1/qemu/101/status/stop", {})).toEqual({});
    expect(verify("PUT", "/nodes/pve1/qemu/101/resize", { disk: "scsi0", size: "+5G" })).toEqual({});
    expect(verify("DELETE", "/nodes/pve1/qemu/101", { purge: 1, "destroy-unreferenced-disks": 1 })).toEqual({});
    const upid = "UPID:pve1:000A1B2C:0123ABCD:66F0C0DE:qmstart:101:bosun@pve!gitops:";
    expect(verify("GET", `/nodes/pve1/tasks/${encodeURIComponent(upid)}/log`, { start: 0, limit: 50 })).toEqual({});
    expect(verify("GET", "/nodes/pve1/tasks", { vmid: 101, typefilter: "qmclone", source: "all", limit: 50 })).toEqual(
      {},
    );
    expect(verify("GET", "/cluster/resources", { type: "vm" })).toEqual({});
    expect(verify("POST", "/access/ticket", { username: "root@pam", password: "x" })).toEqual({});
  });
});
