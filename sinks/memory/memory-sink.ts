import { canonicalJson } from "../../engine/kinds/canonical-json.ts";
import type { Change } from "../../engine/model/change.ts";
import { describeRef, refKey, refOf, type JsonObject, type ObjectRef } from "../../engine/model/object-ref.ts";
import type { Observed, Sink } from "../../engine/reconcile/ports.ts";
import { failed, UNREACHABLE, unreachable } from "./failure.ts";
import { fieldDiff } from "./field-diff.ts";
import type { MemoryStorage, StoredObject } from "./storage.ts";

export interface MemorySinkOptions {
  /** Correct drift and take back what another writer holds (default true), as self-heal does on Kubernetes. */
  readonly selfHeal?: boolean;
  /** Write over another writer's hold even with self-heal off. */
  readonly force?: boolean;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Why the backend refuses an object (the rules the API server applies to every name), or undefined. */
function invalid(object: JsonObject, ref: ObjectRef): string | undefined {
  if (typeof object["apiVersion"] !== "string" || object["apiVersion"] === "") return "apiVersion is required";
  if (typeof object["kind"] !== "string" || object["kind"] === "") return "kind is required";
  if (ref.name.length > 253 || !DNS_SUBDOMAIN.test(ref.name)) {
    return `metadata.name ${JSON.stringify(ref.name)} is not a DNS-1123 subdomain`;
  }
  if (ref.namespace !== "" && !DNS_LABEL.test(ref.namespace)) {
    return `metadata.namespace ${JSON.stringify(ref.namespace)} is not a DNS-1123 label`;
  }
  return undefined;
}

const pointers = (fields: readonly { pointer: string }[]): string => fields.map((f) => f.pointer).join(", ");

/**
 * The in-memory Sink, with Kubernetes' semantics where the engine can see them: no write when
 * unchanged (version kept), drift corrected or left by self-heal, a held object conflicting,
 * invalid names refused, Bosun's mark on what it wrote. Synchronous inside: an aborted signal is
 * checked first, so it writes nothing.
 */
export class MemorySink implements Sink {
  constructor(
    private readonly storage: MemoryStorage,
    private readonly options: MemorySinkOptions = {},
  ) {}

  async apply(objects: readonly JsonObject[], signal: AbortSignal): Promise<Change[]> {
    signal.throwIfAborted();
    this.storage.calls.applies++;
    return objects.map((object) => this.applyOne(object));
  }

  private applyOne(object: JsonObject): Change {
    const ref = refOf(object);
    const why = invalid(object, ref);
    if (why !== undefined) return failed(ref, "permanent", `Invalid: ${describeRef(ref)}: ${why}`);
    if (this.storage.unreachable) return failed(ref, "transient", UNREACHABLE);
    const key = refKey(ref);
    const old = this.storage.objects.get(key);
    // An unchanged poll hands over the same objects: no text to compare.
    if (old?.applied === object && old.marked && old.text === old.appliedText) {
      return { action: "unchanged", ref, reason: "in sync" };
    }
    const text = canonicalJson(object);
    if (old?.marked && old.text === text) {
      old.applied = object;
      old.appliedText = text;
      return { action: "unchanged", ref, reason: "in sync" };
    }
    if (!old) {
      this.storage.objects.set(key, {
        body: object,
        text,
        applied: object,
        appliedText: text,
        version: this.storage.nextVersion(),
        uid: this.storage.nextUid(),
        marked: true,
        heldBy: undefined,
      });
      this.storage.deploymentWritten(ref, true);
      return { action: "created", ref, reason: "created" };
    }
    return this.update(ref, old, object, text);
  }

  private update(ref: ObjectRef, old: StoredObject, object: JsonObject, text: string): Change {
    const heal = this.options.selfHeal !== false;
    const drifted = old.marked && old.appliedText === text;
    const fields = fieldDiff(object, old.body);
    if (drifted && !heal) {
      return { action: "skipped", ref, reason: `drift (self-heal off): ${pointers(fields)}`, fields };
    }
    if (old.heldBy !== undefined && !heal && this.options.force !== true) {
      return failed(ref, "conflict", `Conflict: ${describeRef(ref)}: ${pointers(fields)} held by ${old.heldBy}`);
    }
    const specChanged = canonicalJson(old.body["spec"]) !== canonicalJson(object["spec"]);
    Object.assign(old, {
      body: object,
      text,
      applied: object,
      appliedText: text,
      version: this.storage.nextVersion(),
      marked: true,
      heldBy: undefined,
    });
    this.storage.deploymentWritten(ref, specChanged);
    const reason = drifted ? `drift corrected: ${pointers(fields)}` : `configured: ${pointers(fields) || "marked"}`;
    return { action: "configured", ref, reason, fields };
  }

  async delete(refs: readonly ObjectRef[], signal: AbortSignal): Promise<Change[]> {
    signal.throwIfAborted();
    return refs.map((ref): Change => {
      if (this.storage.unreachable) return failed(ref, "transient", `delete failed: ${UNREACHABLE}`);
      if (!this.storage.remove(ref)) return { action: "skipped", ref, reason: "already gone" };
      return { action: "deleted", ref, reason: "deleted" };
    });
  }

  async observe(refs: readonly ObjectRef[], signal: AbortSignal): Promise<(Observed | undefined)[]> {
    signal.throwIfAborted();
    if (this.storage.unreachable) throw unreachable(refs[0] ? describeRef(refs[0]) : "memory backend");
    return refs.map((ref) => {
      const stored = this.storage.objects.get(refKey(ref));
      return stored && { ref, managedByBosun: stored.marked, object: this.storage.view(stored) };
    });
  }
}
