import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildDomainXml, type DomainSpec } from "./domain-xml.ts";
import { classifyVirshFailure, isLibvirtError, LibvirtError } from "./errors.ts";
import { runTool } from "./exec.ts";
import { parseDomainList, parseDomainXml, parseState, type DomainState, type DomainXmlInfo } from "./parse.ts";

/** One domain as the inventory sees it: identity, state, disks, Bosun's metadata. */
export interface DomainInfo extends DomainXmlInfo {
  readonly state: DomainState;
  /** False for a transient domain (e.g. undefined while running: it disappears when it stops). */
  readonly persistent: boolean;
}

export interface LibvirtClientOptions {
  /** libvirt connection URI (default `qemu:///system`; `qemu+unix:///system?socket=PATH` for another socket). */
  readonly uri?: string;
  /** The virsh binary (default `virsh` on PATH). */
  readonly virsh?: string;
  /** Per-call deadline (default 30 s; libvirtd's first answer after a cold start takes several seconds). */
  readonly timeoutMs?: number;
}

/**
 * A small typed libvirt client over `virsh` (one child process per call, no shell): list domains with their state,
 * disks and metadata, define / start / destroy / undefine. Every call takes an AbortSignal and fails with a
 * {@link LibvirtError} whose kind says what to do (unavailable → retry later, not-found, refused, …).
 */
export class LibvirtClient {
  readonly uri: string;
  private readonly virsh: string;
  private readonly timeoutMs: number;

  constructor(opts: LibvirtClientOptions = {}) {
    this.uri = opts.uri ?? "qemu:///system";
    this.virsh = opts.virsh ?? "virsh";
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  private async run(args: readonly string[], what: string, signal?: AbortSignal): Promise<string> {
    const r = await runTool(this.virsh, ["-c", this.uri, "-q", ...args], {
      subject: `libvirt ${this.uri}${what ? ` ${what}` : ""}`,
      failureKind: "refused",
      classify: classifyVirshFailure,
      timeoutMs: this.timeoutMs,
      ...(signal ? { signal } : {}),
    });
    return r.stdout;
  }

  /** The daemon's version line; fails `unavailable` when libvirt cannot be reached. */
  async ping(signal?: AbortSignal): Promise<string> {
    return (await this.run(["version", "--daemon"], "", signal)).trim();
  }

  /** Every domain (running or not) with its state, disks and metadata, sorted by name. */
  async listDomains(signal?: AbortSignal): Promise<DomainInfo[]> {
    const listed = parseDomainList(await this.run(["list", "--all"], "", signal));
    const transient = new Set(
      (await this.run(["list", "--transient", "--name"], "", signal))
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l !== ""),
    );
    const out: DomainInfo[] = [];
    for (const d of listed) {
      try {
        const xml = parseDomainXml(await this.domainXml(d.name, signal));
        out.push({ ...xml, state: d.state, persistent: !transient.has(d.name) });
      } catch (err) {
        if (isLibvirtError(err, "not-found")) continue; // undefined between list and dumpxml
        throw err;
      }
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** One domain, or undefined when there is none of that name. */
  async getDomain(name: string, signal?: AbortSignal): Promise<DomainInfo | undefined> {
    try {
      const xml = parseDomainXml(await this.domainXml(name, signal));
      const info = await this.run(["dominfo", name], `domain ${name}`, signal);
      const field = (key: string): string => new RegExp(`^${key}:\\s*(.*)$`, "m").exec(info)?.[1]?.trim() ?? "";
      return { ...xml, state: parseState(field("State")), persistent: field("Persistent") !== "no" };
    } catch (err) {
      if (isLibvirtError(err, "not-found")) return undefined;
      throw err;
    }
  }

  /** The name of the domain with this UUID, or undefined. */
  async domainNameByUuid(uuid: string, signal?: AbortSignal): Promise<string | undefined> {
    try {
      return (await this.run(["domname", uuid], `domain ${uuid}`, signal)).trim() || undefined;
    } catch (err) {
      if (isLibvirtError(err, "not-found")) return undefined;
      throw err;
    }
  }

  async domainXml(name: string, signal?: AbortSignal): Promise<string> {
    return this.run(["dumpxml", name], `domain ${name}`, signal);
  }

  /** Defines (or redefines, same name) a persistent domain from a spec; returns its UUID. */
  async defineDomain(spec: DomainSpec, signal?: AbortSignal): Promise<string> {
    let xml: string;
    try {
      xml = buildDomainXml(spec);
    } catch (err) {
      throw new LibvirtError(`libvirt ${this.uri} domain ${spec.name}`, "refused", (err as Error).message, {
        cause: err,
      });
    }
    // virsh reads the XML from a file (its stdin is a socket under execFile, which it cannot open by path).
    const dir = await mkdtemp(join(tmpdir(), "bosun-virsh-"));
    try {
      const file = join(dir, "domain.xml");
      await writeFile(file, xml, { mode: 0o600 });
      await this.run(["define", file], `domain ${spec.name}`, signal);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const uuid = (await this.run(["domuuid", spec.name], `domain ${spec.name}`, signal)).trim();
    return uuid;
  }

  async startDomain(name: string, signal?: AbortSignal): Promise<void> {
    await this.run(["start", name], `domain ${name}`, signal);
  }

  /** Hard stop (the domain stays defined). */
  async destroyDomain(name: string, signal?: AbortSignal): Promise<void> {
    await this.run(["destroy", name], `domain ${name}`, signal);
  }

  /** ACPI power button. */
  async shutdownDomain(name: string, signal?: AbortSignal): Promise<void> {
    await this.run(["shutdown", name], `domain ${name}`, signal);
  }

  async undefineDomain(name: string, signal?: AbortSignal): Promise<void> {
    await this.run(["undefine", name], `domain ${name}`, signal);
  }

  /**
   * Stops and undefines a domain, whatever its state; done when it is gone (absent already is fine). Disks are the
   * caller's: libvirt does not own them.
   */
  async removeDomain(name: string, signal?: AbortSignal): Promise<void> {
    const d = await this.getDomain(name, signal);
    if (!d) return;
    if (d.state !== "shut off") {
      try {
        await this.destroyDomain(name, signal);
      } catch (err) {
        // Already stopped (it powered off meanwhile) or already gone: both fine.
        if (!isLibvirtError(err, "not-found") && !(isLibvirtError(err, "refused") && /not running/i.test(err.message)))
          throw err;
      }
    }
    try {
      await this.undefineDomain(name, signal);
    } catch (err) {
      if (!isLibvirtError(err, "not-found")) throw err;
    }
  }
}
