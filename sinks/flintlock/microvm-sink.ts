/**
 * The Flintlock write side for `MicroVM` objects: one microVM per object name and namespace, on the
 * host its `spec.host` names. Flintlock has no update: a changed spec (or a microVM changed or
 * failed behind Bosun's back) is deleted, waited until gone, and created again; an unchanged one is
 * not written. Flintlock allows two microVMs with one name (uids differ), so apply lists first and
 * never creates a second; duplicates Bosun finds are deleted.
 */
import type { FlintlockClient, MicroVM, MicroVMSpec } from "../../clients/flintlock/index.ts";
import {
  describeRef,
  SinkError,
  type Change,
  type JsonObject,
  type ObjectRef,
  type Observed,
} from "../../engine/index.ts";
import {
  changedFields,
  hostOf,
  isBosuns,
  isIntact,
  liveObject,
  stamped,
  toWireSpec,
  DIGEST_LABEL,
  MANAGED_BY_LABEL,
} from "./convert.ts";
import { sinkErrorOf, type FlintlockHosts, type HostVMs } from "./hosts.ts";

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

interface Found {
  readonly host: string;
  readonly vm: MicroVM;
}

export interface MicroVMSinkOptions {
  readonly hosts: FlintlockHosts;
  /** How long a deleted microVM may take to be gone (default 60 s). */
  readonly deleteTimeoutMs?: number;
  /** Parallel objects (default 16). */
  readonly concurrency?: number;
}

export class MicroVMSink {
  constructor(private readonly options: MicroVMSinkOptions) {}

  private get hosts(): FlintlockHosts {
    return this.options.hosts;
  }

  async apply(objects: readonly JsonObject[], signal: AbortSignal): Promise<Change[]> {
    signal.throwIfAborted();
    if (objects.length === 0) return [];
    const snapshot = await this.hosts.snapshot(namespacesOf(objects.map(refOfObject)), signal);
    return mapLimit(objects, this.options.concurrency ?? 16, (o) => this.applyOne(o, snapshot, signal));
  }

  async delete(refs: readonly ObjectRef[], signal: AbortSignal): Promise<Change[]> {
    signal.throwIfAborted();
    if (refs.length === 0) return [];
    const snapshot = await this.hosts.snapshot(namespacesOf(refs), signal);
    return mapLimit(refs, this.options.concurrency ?? 16, async (ref): Promise<Change> => {
      const down = snapshot.filter((s) => !s.reachable);
      const found = find(snapshot, ref);
      if (down.length > 0 && found.length === 0) {
        const error = new SinkError(
          describeRef(ref),
          "transient",
          `cannot tell whether it is gone: ${down.map((d) => `${d.host.name} (${d.error})`).join(", ")} unreachable`,
        );
        return { action: "skipped", ref, reason: error.message, error };
      }
      if (found.length === 0) return { action: "skipped", ref, reason: "already gone" };
      try {
        await Promise.all(found.map((f) => this.deleteAndWait(f, 0, signal)));
        return {
          action: "deleted",
          ref,
          reason: `deleted microVM ${found.map((f) => `${f.host}/${f.vm.spec?.uid}`).join(", ")}`,
        };
      } catch (e) {
        if (signal.aborted) throw signal.reason;
        const error = sinkErrorOf(describeRef(ref), e);
        return { action: "skipped", ref, reason: error.message, error };
      }
    });
  }

  async observe(refs: readonly ObjectRef[], signal: AbortSignal): Promise<(Observed | undefined)[]> {
    signal.throwIfAborted();
    if (refs.length === 0) return [];
    const snapshot = await this.hosts.snapshot(namespacesOf(refs), signal);
    const down = snapshot.filter((s) => !s.reachable);
    if (down.length > 0)
      throw new SinkError(
        "flintlock hosts",
        "transient",
        `${down.map((d) => `${d.host.name}: ${d.error}`).join("; ")} unreachable`,
      );
    return refs.map((ref) => {
      const live = find(snapshot, ref).filter((f) => f.vm.status?.state !== "DELETING");
      const first = live[0];
      if (!first) return undefined;
      return { ref, managedByBosun: isBosuns(first.vm.spec), object: liveObject(first.host, first.vm) };
    });
  }

  /** Deletes a microVM (the guest gets `graceMs` to power down, on hosts that honour it) and waits until it is gone. */
  async deleteAndWait(found: Found, graceMs: number, signal: AbortSignal): Promise<void> {
    const client = this.hosts.client(found.host) as FlintlockClient;
    const uid = found.vm.spec?.uid ?? "";
    if (found.vm.status?.state !== "DELETING") await client.delete(uid, signal, { graceMs });
    const deadline = Date.now() + (this.options.deleteTimeoutMs ?? 60_000) + graceMs;
    for (let wait = 25; ; wait = Math.min(wait * 2, 500)) {
      if ((await client.get(uid, signal)) === undefined) return;
      if (Date.now() > deadline)
        throw new SinkError(`microVM ${found.host}/${uid}`, "transient", "still DELETING after the delete timeout");
      await new Promise((r) => setTimeout(r, wait));
      signal.throwIfAborted();
    }
  }

  private async applyOne(object: JsonObject, snapshot: readonly HostVMs[], signal: AbortSignal): Promise<Change> {
    const ref = refOfObject(object);
    const subject = describeRef(ref);
    // The reason is the error's own text (without the subject): `Conflict: …`, `host … is unreachable`.
    const skipped = (error: SinkError): Change => ({
      action: "skipped",
      ref,
      reason: error.message.startsWith(`${subject}: `) ? error.message.slice(subject.length + 2) : error.message,
      error,
    });
    if (!NAME.test(ref.name) || ref.name.length > 63)
      return skipped(new SinkError(subject, "permanent", "the name must be a DNS label (lower case, digits, -)"));
    const hostName = hostOf(object);
    const target = snapshot.find((s) => s.host.name === hostName);
    if (!target)
      return skipped(
        new SinkError(subject, "permanent", `spec.host ${hostName || "(none)"} is not a configured Flintlock host`),
      );
    if (!target.reachable)
      return skipped(new SinkError(subject, "transient", `host ${hostName} is unreachable: ${target.error}`));
    const wire = toWireSpec(object);
    const desired = stamped({ ...wire, labels: { ...(wire.labels ?? {}), [MANAGED_BY_LABEL]: "bosun" } });
    const want = desired.labels?.[DIGEST_LABEL];
    const all = find(snapshot, ref);
    const live = all.filter((f) => f.vm.status?.state !== "DELETING");
    const theirs = live.find((f) => !isBosuns(f.vm.spec));
    if (theirs)
      return skipped(
        new SinkError(
          subject,
          "conflict",
          `Conflict: microVM ${theirs.host}/${theirs.vm.spec?.uid} has this name and is not Bosun's`,
        ),
      );
    try {
      const keep = live.find(
        (f) =>
          f.host === hostName &&
          f.vm.status?.state !== "FAILED" &&
          isIntact(f.vm.spec as MicroVMSpec) &&
          f.vm.spec?.labels?.[DIGEST_LABEL] === want,
      );
      const extra = live.filter((f) => f !== keep);
      // Deleted ones still held on the target host: wait for them (capacity) before creating.
      const deleting = all.filter((f) => f.vm.status?.state === "DELETING");
      await Promise.all([...extra, ...deleting].map((f) => this.deleteAndWait(f, 0, signal)));
      if (keep) {
        return extra.length > 0
          ? {
              action: "configured",
              ref,
              reason: `duplicates removed: ${extra.map((f) => `${f.host}/${f.vm.spec?.uid}`).join(", ")}`,
            }
          : { action: "unchanged", ref, reason: "unchanged" };
      }
      const created = await (this.hosts.client(hostName) as FlintlockClient).create(desired, signal);
      const uid = created.spec?.uid ?? "";
      const first = extra[0];
      if (!first) return { action: "created", ref, reason: `created microVM ${hostName}/${uid}` };
      const liveSpec = first.vm.spec as MicroVMSpec;
      const drift = first.vm.status?.state === "FAILED" || !isIntact(liveSpec);
      const fields = changedFields(desired, liveSpec);
      const moved = first.host !== hostName ? ` (moved from ${first.host})` : "";
      const why = drift
        ? `drift corrected: ${first.vm.status?.state === "FAILED" ? "microVM FAILED" : `changed out of band ${fields.map((f) => f.pointer).join(", ")}`}`
        : `recreated: ${fields.map((f) => f.pointer).join(", ")}`;
      return { action: "configured", ref, reason: `${why}${moved}; now ${hostName}/${uid}`, fields };
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      return skipped(sinkErrorOf(subject, e));
    }
  }
}

/** Live microVMs with the ref's namespace and name, on every host (DELETING ones too). */
export function find(snapshot: readonly HostVMs[], ref: ObjectRef): Found[] {
  const out: Found[] = [];
  for (const s of snapshot)
    for (const vm of s.vms)
      if (vm.spec?.id === ref.name && vm.spec.namespace === ref.namespace) out.push({ host: s.host.name, vm });
  return out;
}

function refOfObject(o: JsonObject): ObjectRef {
  const meta = (o["metadata"] ?? {}) as JsonObject;
  return {
    apiVersion: String(o["apiVersion"]),
    kind: String(o["kind"]),
    namespace: String(meta["namespace"] ?? ""),
    name: String(meta["name"] ?? ""),
  };
}

function namespacesOf(refs: readonly ObjectRef[]): string[] {
  return [...new Set(refs.map((r) => r.namespace || "default"))].sort();
}

export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
