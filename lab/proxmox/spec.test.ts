/** The lab's reading of the official schema: routes, PVE::JSONSchema verification, permission checks. */
import { describe, expect, it } from "vitest";
import { ApiSchema, evaluateCheck, verifyParameters } from "./spec.ts";

const schema = new ApiSchema();
const route = (method: string, path: string) => {
  const r = schema.route(method, path);
  if (!r || r === "no-method") throw new Error(`no route ${method} ${path}`);
  return r;
};

describe("lab Proxmox schema", () => {
  it("routes paths to templates with their parameters; knows paths without the method", () => {
    const r = route("POST", "/nodes/pve1/qemu/9000/clone");
    expect(r.template).toBe("/nodes/{node}/qemu/{vmid}/clone");
    expect(r.pathParams).toEqual({ node: "pve1", vmid: "9000" });
    expect(schema.route("PATCH", "/nodes/pve1/qemu/9000/clone")).toBe("no-method");
    expect(schema.route("GET", "/nodes/pve1/nothing")).toBeUndefined();
  });

  it("verifies parameters as PVE::JSONSchema: required, types, ranges, formats, [n] keys, unknown keys", () => {
    const clone = route("POST", "/nodes/pve1/qemu/9000/clone").info;
    expect(verifyParameters(clone, { node: "pve1", vmid: "9000", newid: "101", full: "1" })).toEqual({
      params: { node: "pve1", vmid: 9000, newid: 101, full: 1 },
      errors: {},
    });
    const bad = verifyParameters(clone, { node: "pve1", vmid: "9000", newid: "99", format: "vdi", x: "1" });
    expect(bad.errors).toEqual({
      newid: "value must have a minimum value of 100",
      format: "value 'vdi' does not have a value in the enumeration 'raw, qcow2, vmdk'",
      x: "property is not defined in schema and the schema does not allow additional properties",
    });
    expect(verifyParameters(clone, { node: "pve1", vmid: "9000" }).errors).toEqual({
      newid: "property is missing and it is not optional",
    });
    const config = route("PUT", "/nodes/pve1/qemu/100/config").info;
    expect(
      verifyParameters(config, { node: "pve1", vmid: "100", ipconfig0: "ip=dhcp", memory: "2048" }).errors,
    ).toEqual({});
    expect(verifyParameters(config, { node: "pve1", vmid: "100", ipconfig1: "addr=1" }).errors["ipconfig1"]).toContain(
      "invalid format",
    );
    expect(verifyParameters(config, { node: "pve1", vmid: "100", sshkeys: "ssh-rsa AAA" }).errors["sshkeys"]).toContain(
      "invalid urlencoded string",
    );
    expect(verifyParameters(config, { node: "pve1", vmid: "100", cores: "two" }).errors["cores"]).toBe(
      "type check ('integer') failed - got 'two'",
    );
    expect(verifyParameters(config, { node: "pve1", vmid: "100", memory: "current=8" }).errors["memory"]).toContain(
      "minimum value of 16",
    );
  });

  it("evaluates permission checks: and/or, any, require_param", () => {
    const clone = route("POST", "/nodes/pve1/qemu/9000/clone").info;
    const held = (privs: string[]) => (_path: string, p: string) => privs.includes(p);
    const params = { vmid: 9000, newid: 101 };
    expect(evaluateCheck(clone.permissions?.check, params, held(["VM.Clone", "VM.Allocate"]))).toBeUndefined();
    expect(evaluateCheck(clone.permissions?.check, params, held(["VM.Allocate"]))).toEqual({
      path: "/vms/9000",
      priv: "VM.Clone",
    });
    expect(evaluateCheck(clone.permissions?.check, params, held(["VM.Clone"]))).toEqual({
      path: "/vms/101",
      priv: "VM.Allocate",
    });
    const config = route("PUT", "/nodes/pve1/qemu/100/config").info;
    expect(evaluateCheck(config.permissions?.check, { vmid: 100 }, held(["VM.Config.CPU"]))).toBeUndefined();
  });
});
