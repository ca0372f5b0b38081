/**
 * The Flintlock backend (`flintlock`): microVMs on Flintlock hosts for FAR agents. Flintlock holds
 * microVMs only, so the agents' records (the FARAgent custom resources, with their status), the
 * inventory and the Events live in the cluster (`kubernetesRecords`), or in memory for benchmarks
 * (`memoryRecords`). Its sink writes both: `MicroVM` objects to the hosts, everything else to the
 * records; deleting an agent's record deletes its microVM first.
 */
import type { KubeClient } from "../../clients/kubernetes/index.ts";
import {
  BackendPorts,
  describeRef,
  refKey,
  SinkError,
  type Backend,
  type Change,
  type JsonObject,
  type Logger,
  type ObjectRef,
  type Observed,
  type Sink,
} from "../../engine/index.ts";
import {
  MICROVM_FLEET,
  type AgentStatus,
  type HostSnapshot,
  type MicroVMFleet,
} from "../../engine/kinds/far-agent/ports.ts";
import { kubernetesBackend } from "../kubernetes/index.ts";
import { memoryBackend } from "../memory/index.ts";
import type { FlintlockBackendConfig } from "./config.ts";
import { isBosuns, isIntact, MICROVM_API_VERSION, MICROVM_KIND } from "./convert.ts";
import { FlintlockHosts, sinkErrorOf } from "./hosts.ts";
import { find, MicroVMSink } from "./microvm-sink.ts";

/** Where the agents' records and status live. */
export interface AgentRecords {
  /** Sink, plan diff, inventory and events for the records. */
  readonly backend: Backend;
  readStatuses(refs: readonly ObjectRef[], signal: AbortSignal): Promise<Map<string, AgentStatus>>;
  writeStatus(ref: ObjectRef, status: AgentStatus, signal: AbortSignal): Promise<void>;
}

export interface FlintlockBackendOptions {
  readonly config: FlintlockBackendConfig;
  readonly records: AgentRecords;
  readonly logger: Logger;
  /** Registration name (default `flintlock`). */
  readonly name?: string;
}

export interface FlintlockBackend extends Backend {
  readonly hosts: FlintlockHosts;
  readonly microVMs: MicroVMSink;
  close(): void;
}

const isMicroVM = (r: { apiVersion: string; kind: string }): boolean =>
  r.kind === MICROVM_KIND && r.apiVersion === MICROVM_API_VERSION;

class FlintlockSink implements Sink {
  constructor(
    private readonly microVMs: MicroVMSink,
    private readonly hosts: FlintlockHosts,
    private readonly records: Sink,
  ) {}

  async apply(objects: readonly JsonObject[], signal: AbortSignal): Promise<Change[]> {
    signal.throwIfAborted();
    const vms = objects.filter((o) => isMicroVM({ apiVersion: String(o["apiVersion"]), kind: String(o["kind"]) }));
    const rest = objects.filter((o) => !vms.includes(o));
    const [a, b] = await Promise.all([
      this.microVMs.apply(vms, signal),
      rest.length > 0 ? this.records.apply(rest, signal) : [],
    ]);
    const byObject = new Map<JsonObject, Change>();
    vms.forEach((o, i) => byObject.set(o, a[i] as Change));
    rest.forEach((o, i) => byObject.set(o, b[i] as Change));
    return objects.map((o) => byObject.get(o) as Change);
  }

  async delete(refs: readonly ObjectRef[], signal: AbortSignal): Promise<Change[]> {
    signal.throwIfAborted();
    const vms = refs.filter(isMicroVM);
    const records = refs.filter((r) => !isMicroVM(r));
    const out = new Map<ObjectRef, Change>();
    (await this.microVMs.delete(vms, signal)).forEach((c, i) => out.set(vms[i] as ObjectRef, c));
    if (records.length > 0) {
      // An agent's microVM goes with its record (only Bosun's); a host that cannot say keeps the record for later.
      const snapshot = await this.hosts.snapshot([...new Set(records.map((r) => r.namespace))], signal);
      const down = snapshot.filter((s) => !s.reachable);
      const ready: ObjectRef[] = [];
      await Promise.all(
        records.map(async (ref) => {
          if (down.length > 0) {
            const error = new SinkError(
              describeRef(ref),
              "transient",
              `its microVM cannot be checked: ${down.map((d) => d.host.name).join(", ")} unreachable`,
            );
            out.set(ref, { action: "skipped", ref, reason: error.message, error });
            return;
          }
          try {
            const mine = find(snapshot, ref).filter((f) => isBosuns(f.vm.spec));
            await Promise.all(mine.map((f) => this.microVMs.deleteAndWait(f, 0, signal)));
            ready.push(ref);
          } catch (e) {
            if (signal.aborted) throw signal.reason;
            const error = sinkErrorOf(describeRef(ref), e);
            out.set(ref, { action: "skipped", ref, reason: error.message, error });
          }
        }),
      );
      const deleted = ready.length > 0 ? await this.records.delete(ready, signal) : [];
      deleted.forEach((c, i) => out.set(ready[i] as ObjectRef, c));
    }
    return refs.map((r) => out.get(r) as Change);
  }

  async observe(refs: readonly ObjectRef[], signal: AbortSignal): Promise<(Observed | undefined)[]> {
    signal.throwIfAborted();
    const vms = refs.filter(isMicroVM);
    const records = refs.filter((r) => !isMicroVM(r));
    const [a, b] = await Promise.all([
      this.microVMs.observe(vms, signal),
      records.length > 0 ? this.records.observe(records, signal) : [],
    ]);
    const out = new Map<ObjectRef, Observed | undefined>();
    vms.forEach((r, i) => out.set(r, a[i]));
    records.forEach((r, i) => out.set(r, b[i]));
    return refs.map((r) => out.get(r));
  }
}

class Fleet implements MicroVMFleet {
  constructor(
    private readonly hostsOf: FlintlockHosts,
    private readonly microVMs: MicroVMSink,
    private readonly records: AgentRecords,
  ) {}

  hosts() {
    return this.hostsOf.hosts;
  }

  async snapshot(namespaces: readonly string[], signal: AbortSignal): Promise<HostSnapshot[]> {
    const snap = await this.hostsOf.snapshot(namespaces, signal);
    return snap.map((s) => ({
      host: s.host,
      reachable: s.reachable,
      ...(s.error !== undefined ? { error: s.error } : {}),
      vms: s.vms.map((vm) => {
        const spec = vm.spec;
        return {
          host: s.host.name,
          uid: spec?.uid ?? "",
          namespace: spec?.namespace ?? "",
          name: spec?.id ?? "",
          state: vm.status?.state ?? "PENDING",
          vcpu: spec?.vcpu ?? 0,
          memoryMiB: spec?.memoryInMb ?? 0,
          labels: spec?.labels ?? {},
          managedByBosun: isBosuns(spec),
          intact: spec ? isIntact(spec) : false,
        };
      }),
    }));
  }

  async stop(host: string, uid: string, graceMs: number, signal: AbortSignal): Promise<void> {
    const client = this.hostsOf.client(host);
    if (!client) throw new SinkError(`microVM ${host}/${uid}`, "permanent", `host ${host} is not configured`);
    try {
      await client.delete(uid, signal, { graceMs });
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      throw sinkErrorOf(`microVM ${host}/${uid}`, e);
    }
    void this.microVMs;
  }

  readStatuses(refs: readonly ObjectRef[], signal: AbortSignal): Promise<Map<string, AgentStatus>> {
    return this.records.readStatuses(refs, signal);
  }

  writeStatus(ref: ObjectRef, status: AgentStatus, signal: AbortSignal): Promise<void> {
    return this.records.writeStatus(ref, status, signal);
  }
}

export function flintlockBackend(options: FlintlockBackendOptions): FlintlockBackend {
  const hosts = new FlintlockHosts(options.config);
  const microVMs = new MicroVMSink({
    hosts,
    ...(options.config.deleteTimeoutMs ? { deleteTimeoutMs: options.config.deleteTimeoutMs } : {}),
  });
  const records = options.records.backend;
  return {
    name: options.name ?? "flintlock",
    sink: new FlintlockSink(microVMs, hosts, records.sink),
    live: records.live,
    inventory: records.inventory,
    events: records.events,
    ports: new BackendPorts().with(MICROVM_FLEET, new Fleet(hosts, microVMs, options.records)),
    hosts,
    microVMs,
    close: () => hosts.close(),
  };
}

/** The agents' records as FARAgent custom resources in the cluster (status subresource, inventory, Events). */
export function kubernetesRecords(options: {
  readonly client: KubeClient;
  readonly logger: Logger;
  readonly name?: string;
  readonly stateNamespace?: string;
}): AgentRecords {
  const { client } = options;
  const backend = kubernetesBackend({
    client,
    logger: options.logger,
    name: options.name ?? "flintlock",
    ...(options.stateNamespace ? { stateNamespace: options.stateNamespace } : {}),
  });
  return {
    backend,
    async readStatuses(refs, signal) {
      const out = new Map<string, AgentStatus>();
      const groups = new Map<string, ObjectRef>();
      for (const r of refs) groups.set(`${r.apiVersion}|${r.kind}|${r.namespace}`, r);
      for (const r of groups.values()) {
        const list = await client.list(r.apiVersion, r.kind, { namespace: r.namespace, signal });
        for (const item of list.items) {
          const status = (item as unknown as { status?: AgentStatus }).status;
          if (status) out.set(refKey({ ...r, name: item.metadata.name }), status);
        }
      }
      return out;
    },
    async writeStatus(ref, status, signal) {
      const metadata = { name: ref.name, namespace: ref.namespace };
      const body = { apiVersion: ref.apiVersion, kind: ref.kind, metadata, status };
      await client.applyStatus(body as JsonObject, { fieldManager: "bosun-far-agent", force: true, signal });
    },
  };
}

/** The agents' records in memory (benchmarks, unit tests); `record` keeps the events as lines. */
export function memoryRecords(
  options: { readonly name?: string; readonly record?: boolean } = {},
): AgentRecords & { readonly statuses: Map<string, AgentStatus>; readonly events: readonly string[] } {
  const { backend, writes } = memoryBackend({ name: options.name ?? "flintlock", record: options.record === true });
  const statuses = new Map<string, AgentStatus>();
  return {
    backend,
    statuses,
    events: writes.events,
    readStatuses: (refs) =>
      Promise.resolve(
        new Map(
          refs.flatMap((r) => {
            const s = statuses.get(refKey(r));
            return s ? [[refKey(r), s] as const] : [];
          }),
        ),
      ),
    writeStatus: (ref, status) => {
      statuses.set(refKey(ref), status);
      return Promise.resolve();
    },
  };
}
