/**
 * Reading virsh's answers (pure): `virsh list --all` tables and `virsh dumpxml` documents. libvirt writes its XML
 * canonically (one element per line, single-quoted attributes), which is all this reads;
 * it is not a general XML parser.
 */
import { BOSUN_METADATA_ELEMENT, BOSUN_METADATA_NS, type DomainType } from "./domain-xml.ts";

/** libvirt's domain states as `virsh list` / `domstate` print them, lower-cased, spaces kept. */
export type DomainState =
  "running" | "idle" | "paused" | "in shutdown" | "shut off" | "crashed" | "pmsuspended" | "no state" | "unknown";

export interface DiskInfo {
  /** `disk` or `cdrom`. */
  readonly device: string;
  /** vda, hdc, … */
  readonly target: string;
  readonly bus: string;
  /** The image file (absent for an empty cdrom). */
  readonly source?: string;
  /** The image format the driver reads (qcow2, raw). */
  readonly format?: string;
  readonly readonly: boolean;
}

export interface DomainXmlInfo {
  readonly name: string;
  readonly uuid: string;
  readonly type: DomainType | string;
  readonly vcpus: number;
  readonly memoryKiB: number;
  readonly disks: readonly DiskInfo[];
  /** Attributes of Bosun's `<bosun:owner …/>` metadata element; undefined on a domain Bosun did not define. */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly serialLog?: string;
  readonly hasInterface: boolean;
}

export interface ListedDomain {
  readonly name: string;
  readonly state: DomainState;
}

const STATES: readonly DomainState[] = [
  "running",
  "idle",
  "paused",
  "in shutdown",
  "shut off",
  "crashed",
  "pmsuspended",
  "no state",
];

export function parseState(text: string): DomainState {
  const s = text.trim().toLowerCase();
  return (STATES as readonly string[]).includes(s) ? (s as DomainState) : "unknown";
}

/** `virsh list --all` (with its header) → names and states. */
export function parseDomainList(text: string): ListedDomain[] {
  const out: ListedDomain[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*(\d+|-)\s+(\S+)\s+(.+?)\s*$/.exec(line);
    if (!m) continue;
    out.push({ name: m[2] as string, state: parseState(m[3] as string) });
  }
  return out;
}

function unescape(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|apos|#(\d+)|#x([0-9a-fA-F]+));/g, (_, n: string, d?: string, h?: string) => {
    if (d) return String.fromCodePoint(Number(d));
    if (h) return String.fromCodePoint(parseInt(h, 16));
    return ({ amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" } as Record<string, string>)[n] as string;
  });
}

function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*(?:'([^']*)'|"([^"]*)")/g))
    out[m[1] as string] = unescape(m[2] ?? m[3] ?? "");
  return out;
}

function text(xml: string, element: string): string | undefined {
  const m = new RegExp(`<${element}(?:\\s[^>]*)?>([^<]*)</${element}>`).exec(xml);
  return m ? unescape((m[1] as string).trim()) : undefined;
}

/** `virsh dumpxml` → what an inventory needs. */
export function parseDomainXml(xml: string): DomainXmlInfo {
  const domainTag = /<domain\s[^>]*>/.exec(xml)?.[0] ?? "";
  const disks: DiskInfo[] = [];
  for (const m of xml.matchAll(/<disk\s[^>]*>[\s\S]*?<\/disk>/g)) {
    const block = m[0];
    const head = attributes(/<disk\s[^>]*>/.exec(block)?.[0] ?? "");
    const source = attributes(/<source\s[^>]*\/?>/.exec(block)?.[0] ?? "");
    const target = attributes(/<target\s[^>]*\/?>/.exec(block)?.[0] ?? "");
    const driver = attributes(/<driver\s[^>]*\/?>/.exec(block)?.[0] ?? "");
    disks.push({
      device: head["device"] ?? "disk",
      target: target["dev"] ?? "",
      bus: target["bus"] ?? "",
      ...(source["file"] !== undefined ? { source: source["file"] } : {}),
      ...(driver["type"] !== undefined ? { format: driver["type"] } : {}),
      readonly: /<readonly\s*\/>/.test(block),
    });
  }
  let metadata: Record<string, string> | undefined;
  const meta = /<metadata>([\s\S]*?)<\/metadata>/.exec(xml)?.[1];
  if (meta) {
    for (const m of meta.matchAll(/<([A-Za-z_][\w.-]*):([A-Za-z_][\w.-]*)\s([^>]*?)\/?>/g)) {
      const attrs = attributes(m[3] as string);
      if (m[2] !== BOSUN_METADATA_ELEMENT || attrs[`xmlns:${m[1] as string}`] !== BOSUN_METADATA_NS) continue;
      delete attrs[`xmlns:${m[1] as string}`];
      metadata = attrs;
    }
  }
  const serial = /<serial\s+type='file'>[\s\S]*?<source\s+path='([^']*)'/.exec(xml)?.[1];
  const memory = /<memory(?:\s+unit='([A-Za-z]+)')?>(\d+)<\/memory>/.exec(xml);
  const unit = (memory?.[1] ?? "KiB").toLowerCase();
  const factor =
    unit === "kib" || unit === "k"
      ? 1
      : unit === "mib" || unit === "m"
        ? 1024
        : unit === "gib" || unit === "g"
          ? 1024 * 1024
          : unit === "b" || unit === "bytes"
            ? 1 / 1024
            : 1;
  return {
    name: text(xml, "name") ?? "",
    uuid: text(xml, "uuid") ?? "",
    type: attributes(domainTag)["type"] ?? "",
    vcpus: Number(text(xml, "vcpu") ?? "0"),
    memoryKiB: Math.round(Number(memory?.[2] ?? "0") * factor),
    disks,
    ...(metadata ? { metadata } : {}),
    ...(serial !== undefined ? { serialLog: unescape(serial) } : {}),
    hasInterface: /<interface\s/.test(xml),
  };
}
