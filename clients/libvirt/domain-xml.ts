/**
 * The libvirt domain XML Bosun defines (pure): machine `pc`, no NIC, virtio disks, the NoCloud config drive as a
 * read-only IDE cdrom, a serial console to a file, direct kernel boot when a kernel is given, and Bosun's own
 * metadata element so an inventory can tell its domains and their owners apart. See
 * ../shared/research/real-components.md "Round 2 feasibility" §2 for why each piece is as it is.
 */

/** The XML namespace of Bosun's `<metadata>` element. */
export const BOSUN_METADATA_NS = "https://bosun.dev/xmlns/kvm/v1";
/** Its element (with the `bosun` prefix): `<bosun:owner key="value" …/>`. */
export const BOSUN_METADATA_ELEMENT = "owner";

export type DomainType = "kvm" | "qemu";

export interface DomainDisk {
  /** Image file on the host. */
  readonly path: string;
  /** Guest device: vda, vdb, … */
  readonly target: string;
  readonly format: "qcow2" | "raw";
}

export interface DomainSpec {
  readonly name: string;
  /** Needed to redefine an existing domain (libvirt refuses its name under a new UUID). */
  readonly uuid?: string;
  /** `kvm` only where a probe boot proved it works (see probe.ts); `qemu` = TCG. */
  readonly type: DomainType;
  readonly vcpus: number;
  readonly memoryMiB: number;
  /** Direct kernel boot; without it the domain boots from its first disk. */
  readonly boot?: { readonly kernel: string; readonly initrd?: string; readonly cmdline?: string };
  readonly disks: readonly DomainDisk[];
  /** The NoCloud ISO (volume id `cidata`), attached read-only as an IDE cdrom. */
  readonly configDrive?: string;
  /** The serial console goes to this file. */
  readonly serialLog?: string;
  /** Attributes of `<bosun:owner …/>` (keys: XML names, e.g. namespace, name, uid, cluster). */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly title?: string;
}

export function escapeXml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c] as string,
  );
}

const XML_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const DISK_TARGET = /^vd[a-z]$/;

/** Problems with a spec that libvirt would refuse or mis-read (empty when fine). */
export function domainSpecProblems(spec: DomainSpec): string[] {
  const out: string[] = [];
  if (!/^[A-Za-z0-9][A-Za-z0-9_.+-]{0,199}$/.test(spec.name))
    out.push(`domain name ${JSON.stringify(spec.name)} is not a plain name`);
  if (spec.uuid !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(spec.uuid))
    out.push(`uuid ${JSON.stringify(spec.uuid)} is not a UUID`);
  if (!Number.isInteger(spec.vcpus) || spec.vcpus < 1) out.push(`vcpus must be a positive integer, not ${spec.vcpus}`);
  if (!Number.isInteger(spec.memoryMiB) || spec.memoryMiB < 64)
    out.push(`memory must be at least 64 MiB, not ${spec.memoryMiB}`);
  const targets = new Set<string>();
  for (const d of spec.disks) {
    if (!DISK_TARGET.test(d.target)) out.push(`disk target ${d.target} is not vd[a-z]`);
    if (targets.has(d.target)) out.push(`disk target ${d.target} is used twice`);
    targets.add(d.target);
    if (!d.path.startsWith("/")) out.push(`disk path ${d.path} is not absolute`);
  }
  for (const k of Object.keys(spec.metadata ?? {}))
    if (!XML_NAME.test(k)) out.push(`metadata key ${k} is not an XML name`);
  return out;
}

/** The domain XML for `virsh define`. Throws on a spec {@link domainSpecProblems} rejects. */
export function buildDomainXml(spec: DomainSpec): string {
  const problems = domainSpecProblems(spec);
  if (problems.length > 0) throw new Error(`domain ${spec.name}: ${problems.join("; ")}`);
  const a = escapeXml;
  const lines: string[] = [];
  lines.push(`<domain type='${spec.type}'>`);
  lines.push(`  <name>${a(spec.name)}</name>`);
  if (spec.uuid !== undefined) lines.push(`  <uuid>${a(spec.uuid)}</uuid>`);
  if (spec.title !== undefined) lines.push(`  <title>${a(spec.title)}</title>`);
  if (spec.metadata) {
    const attrs = Object.entries(spec.metadata)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
      .map(([k, v]) => ` ${k}='${a(v)}'`)
      .join("");
    lines.push("  <metadata>");
    lines.push(`    <bosun:${BOSUN_METADATA_ELEMENT} xmlns:bosun='${BOSUN_METADATA_NS}'${attrs}/>`);
    lines.push("  </metadata>");
  }
  lines.push(`  <memory unit='MiB'>${spec.memoryMiB}</memory>`);
  lines.push(`  <vcpu>${spec.vcpus}</vcpu>`);
  lines.push("  <os>");
  lines.push("    <type arch='x86_64' machine='pc'>hvm</type>");
  if (spec.boot) {
    lines.push(`    <kernel>${a(spec.boot.kernel)}</kernel>`);
    if (spec.boot.initrd !== undefined) lines.push(`    <initrd>${a(spec.boot.initrd)}</initrd>`);
    if (spec.boot.cmdline !== undefined) lines.push(`    <cmdline>${a(spec.boot.cmdline)}</cmdline>`);
  } else {
    lines.push("    <boot dev='hd'/>");
  }
  lines.push("  </os>");
  lines.push("  <features><acpi/></features>");
  lines.push("  <on_poweroff>destroy</on_poweroff>");
  lines.push("  <on_reboot>restart</on_reboot>");
  lines.push("  <on_crash>destroy</on_crash>");
  lines.push("  <devices>");
  for (const d of spec.disks) {
    lines.push("    <disk type='file' device='disk'>");
    lines.push(`      <driver name='qemu' type='${d.format}'/>`);
    lines.push(`      <source file='${a(d.path)}'/>`);
    lines.push(`      <target dev='${d.target}' bus='virtio'/>`);
    lines.push("    </disk>");
  }
  if (spec.configDrive !== undefined) {
    lines.push("    <disk type='file' device='cdrom'>");
    lines.push("      <driver name='qemu' type='raw'/>");
    lines.push(`      <source file='${a(spec.configDrive)}'/>`);
    lines.push("      <target dev='hdc' bus='ide'/>");
    lines.push("      <readonly/>");
    lines.push("    </disk>");
  }
  if (spec.serialLog !== undefined) {
    lines.push("    <serial type='file'>");
    lines.push(`      <source path='${a(spec.serialLog)}'/>`);
    lines.push("      <target port='0'/>");
    lines.push("    </serial>");
  }
  lines.push("    <controller type='usb' model='none'/>");
  lines.push("    <memballoon model='none'/>");
  lines.push("  </devices>");
  lines.push("</domain>");
  return `${lines.join("\n")}\n`;
}
