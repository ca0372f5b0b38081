import { describe, expect, it } from "vitest";
import {
  ciCustomString,
  cloneParams,
  configParams,
  decodeSshKeys,
  encodeSshKeys,
  formBody,
  ipConfigString,
  parsePropertyString,
} from "./params.ts";

describe("Proxmox parameters", () => {
  it("sshkeys: newline-joined, URI-encoded with %20 (PVE's urlencoded format), and back", () => {
    const keys = ["ssh-ed25519 AAAAC3Nz+/= a@b", "ssh-rsa AAAAB3 c@d"];
    const enc = encodeSshKeys(keys);
    expect(enc).toMatch(/^[-%a-zA-Z0-9_.!~*'()]*$/);
    expect(enc).toContain("%20");
    expect(enc).toContain("%0A");
    expect(decodeSshKeys(enc)).toEqual(keys);
  });

  it("property strings: ipconfig, cicustom, and reading them back with a default key", () => {
    expect(ipConfigString({ ip: "10.0.0.5/24", gw: "10.0.0.1" })).toBe("gw=10.0.0.1,ip=10.0.0.5/24");
    expect(ipConfigString({ ip: "dhcp" })).toBe("ip=dhcp");
    expect(ciCustomString({ user: "snippets:snippets/w1.yaml", network: "local:snippets/n.yaml" })).toBe(
      "network=local:snippets/n.yaml,user=snippets:snippets/w1.yaml",
    );
    expect(parsePropertyString("2048", "current")).toEqual({ current: "2048" });
    expect(parsePropertyString("vmstore:vm-1-disk-0,size=10G", "file")).toEqual({
      file: "vmstore:vm-1-disk-0",
      size: "10G",
    });
  });

  it("a config change sends only what is set; booleans as 0/1, memory as a string, deletes comma-joined", () => {
    expect(
      configParams({
        cores: 2,
        memory: 4096,
        onboot: true,
        tags: ["a", "b"],
        delete: ["ciuser", "tags"],
        ipconfig: { 0: { ip: "dhcp" } },
      }),
    ).toEqual({ cores: 2, memory: "4096", onboot: 1, tags: "a;b", delete: "ciuser,tags", ipconfig0: "ip=dhcp" });
    expect(configParams({})).toEqual({});
    expect(cloneParams({ newid: 101, full: false, target: "pve2" })).toEqual({ newid: 101, full: 0, target: "pve2" });
  });

  it("form bodies are sorted (deterministic requests)", () => {
    expect(formBody({ newid: 101, name: "w 1", full: 1 })).toBe("full=1&name=w+1&newid=101");
  });
});
