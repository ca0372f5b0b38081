/**
 * The KVM hosts as live inventory (`Hypervisors` port): each host's libvirt domains through the
 * libvirt client (part of the KVM provider's work, `clients/libvirt`). A host that cannot be read
 * fails with a transient SinkError; the controller then leaves its machines unjudged.
 */
import { LibvirtClient } from "../../clients/libvirt/index.ts";
import { SinkError } from "../../engine/index.ts";
import type { Hypervisors, LiveDomain } from "../../engine/kinds/workload-cluster/ports.ts";
import type { KvmHostConfig } from "./config.ts";

export class LibvirtHypervisors implements Hypervisors {
  private readonly clients = new Map<string, LibvirtClient>();

  constructor(hosts: readonly KvmHostConfig[]) {
    for (const h of hosts) this.clients.set(h.name, new LibvirtClient({ uri: h.uri }));
  }

  hosts(): readonly string[] {
    return [...this.clients.keys()];
  }

  async domains(host: string, signal: AbortSignal): Promise<LiveDomain[]> {
    const client = this.clients.get(host);
    if (!client)
      throw new SinkError(
        `KVM host ${host}`,
        "permanent",
        "is not in the engine config (backends.workloadClusters.kvmHosts)",
      );
    try {
      const list = await client.listDomains(signal);
      return list.map((d) => ({ host, name: d.name, state: d.state }));
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      throw new SinkError(
        `KVM host ${host}`,
        "transient",
        `libvirt ${client.uri}: ${e instanceof Error ? e.message : String(e)}`,
        { cause: e },
      );
    }
  }
}
