import { describe, expect, it } from "vitest";
import { buildDomainXml, domainSpecProblems, type DomainSpec } from "./domain-xml.ts";
import { parseDomainList, parseDomainXml } from "./parse.ts";

const spec: DomainSpec = {
  name: "bosun-ns-m1-1234abcd",
  type: "qemu",
  vcpus: 2,
  memoryMiB: 256,
  boot: { kernel: "/b/vmlinuz", initrd: "/b/initrd.gz", cmdline: "console=ttyS0 bosun.name=ns/m1" },
  disks: [
    { path: "/s/root.qcow2", target: "vda", format: "qcow2" },
    { path: "/s/docker.qcow2", target: "vdb", format: "qcow2" },
  ],
  configDrive: "/s/cidata.iso",
  serialLog: "/s/serial.log",
  metadata: { namespace: "ns", name: "m1", uid: "u-1", cluster: "a&b<'c'>" },
};

describe("domain XML", () => {
  it("has no NIC, virtio disks, the config drive as a read-only IDE cdrom, TCG, Bosun's metadata", () => {
    const xml = buildDomainXml(spec);
    expect(xml).toContain("<domain type='qemu'>");
    expect(xml).not.toContain("<interface");
    expect(xml).toContain("<controller type='usb' model='none'/>");
    const parsed = parseDomainXml(xml);
    expect(parsed).toMatchObject({
      name: spec.name,
      type: "qemu",
      vcpus: 2,
      memoryKiB: 256 * 1024,
      hasInterface: false,
    });
    expect(parsed.serialLog).toBe("/s/serial.log");
    expect(parsed.disks).toEqual([
      { device: "disk", target: "vda", bus: "virtio", source: "/s/root.qcow2", format: "qcow2", readonly: false },
      { device: "disk", target: "vdb", bus: "virtio", source: "/s/docker.qcow2", format: "qcow2", readonly: false },
      { device: "cdrom", target: "hdc", bus: "ide", source: "/s/cidata.iso", format: "raw", readonly: true },
    ]);
    // Escaped on the way in, unescaped on the way out.
    expect(parsed.metadata).toEqual({ cluster: "a&b<'c'>", name: "m1", namespace: "ns", uid: "u-1" });
  });

  it("is deterministic (metadata keys sorted)", () => {
    const reordered = { ...spec, metadata: { uid: "u-1", cluster: "a&b<'c'>", name: "m1", namespace: "ns" } };
    expect(buildDomainXml(reordered)).toBe(buildDomainXml(spec));
  });

  it("boots from the first disk without a kernel and carries a given UUID", () => {
    const { boot: _b, ...noKernel } = spec;
    const xml = buildDomainXml({ ...noKernel, uuid: "4465ebef-8fb7-4d12-871a-ff9dcefefb0b" });
    expect(xml).toContain("<boot dev='hd'/>");
    expect(parseDomainXml(xml).uuid).toBe("4465ebef-8fb7-4d12-871a-ff9dcefefb0b");
  });

  it("names every problem of a bad spec and refuses to build it", () => {
    const bad: DomainSpec = {
      ...spec,
      name: "has space",
      uuid: "nope",
      vcpus: 0,
      memoryMiB: 10,
      disks: [
        { path: "rel.qcow2", target: "vda", format: "qcow2" },
        { path: "/x", target: "vda", format: "raw" },
        { path: "/y", target: "sda", format: "raw" },
      ],
      metadata: { "bad key": "x" },
    };
    expect(domainSpecProblems(bad)).toEqual([
      'domain name "has space" is not a plain name',
      'uuid "nope" is not a UUID',
      "vcpus must be a positive integer, not 0",
      "memory must be at least 64 MiB, not 10",
      "disk path rel.qcow2 is not absolute",
      "disk target vda is used twice",
      "disk target sda is not vd[a-z]",
      "metadata key bad key is not an XML name",
    ]);
    expect(() => buildDomainXml(bad)).toThrow(/^domain has space: domain name/);
  });
});

describe("virsh answers", () => {
  it("reads `virsh list --all`, states with spaces included", () => {
    const text = [
      " Id   Name          State",
      "------------------------------",
      " 3    bosun-a       running",
      " -    bosun-b       shut off",
      " 7    other         in shutdown",
      "",
    ].join("\n");
    expect(parseDomainList(text)).toEqual([
      { name: "bosun-a", state: "running" },
      { name: "bosun-b", state: "shut off" },
      { name: "other", state: "in shutdown" },
    ]);
  });

  it("ignores metadata of other namespaces and reads libvirt's own output shape", () => {
    const xml = `<domain type='kvm' id='4'>
  <name>x</name>
  <uuid>11111111-2222-3333-4444-555555555555</uuid>
  <metadata>
    <other:owner xmlns:other="https://example.com/x" name="not-ours"/>
  </metadata>
  <memory unit='KiB'>131072</memory>
  <vcpu placement='static'>1</vcpu>
  <devices>
    <interface type='network'><source network='default'/></interface>
  </devices>
</domain>`;
    const p = parseDomainXml(xml);
    expect(p.metadata).toBeUndefined();
    expect(p).toMatchObject({ type: "kvm", vcpus: 1, memoryKiB: 131072, hasInterface: true, disks: [] });
  });
});
