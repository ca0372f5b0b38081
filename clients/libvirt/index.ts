/**
 * A small typed libvirt client: domains through `virsh` (list with state, disks and Bosun's metadata; define, start,
 * destroy, undefine), qcow2 disks through `qemu-img`, NoCloud config drives through `genisoimage`, the domain XML
 * builder, and the probe that picks `kvm` or `qemu` (TCG). Child processes only, AbortSignal on every call, typed
 * errors ({@link LibvirtError} with a kind).
 */
export { LibvirtClient, type DomainInfo, type LibvirtClientOptions } from "./client.ts";
export { writeConfigDrive, type NoCloudData } from "./config-drive.ts";
export { createQcow2, diskImageInfo, removeDiskImage, type DiskImageInfo } from "./disks.ts";
export {
  BOSUN_METADATA_ELEMENT,
  BOSUN_METADATA_NS,
  buildDomainXml,
  domainSpecProblems,
  type DomainDisk,
  type DomainSpec,
  type DomainType,
} from "./domain-xml.ts";
export { isLibvirtError, LibvirtError, type LibvirtErrorKind } from "./errors.ts";
export { parseDomainList, parseDomainXml, type DiskInfo, type DomainState, type ListedDomain } from "./parse.ts";
export { probeDomainType, type ProbeOptions, type ProbeResult } from "./probe.ts";
