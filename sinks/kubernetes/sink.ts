import type { KubeClient, PropagationPolicy } from "../../clients/kubernetes/client.ts";
import { isConflict, isKubeApiError } from "../../clients/kubernetes/errors.ts";
import { describeRef, type KubeObject } from "../../clients/kubernetes/types.ts";
import {
  diffObject, FIELD_MANAGER, ignoreFor, prepareDesired, removePointers, sameLiveObject, selfHealEnabled,
  type FieldDiff, type IgnoreRules, type JsonObject, type ObjectDiff, type SelfHealPolicy,
} from "../../engine/diff/index.ts";
import type { Logger } from "../../engine/log/logger.ts";
import type { ChangeSetEntry } from "./changeset.ts";
import { groupByRank, mapLimit } from "./order.ts";
import { waitEstablished, waitGone } from "./wait.ts";

export interface KubernetesSinkOptions {
  readonly client: KubeClient;
  /** Field manager for server-side apply (default `bosun`). */
  readonly fieldManager?: string;
  /**
   * Force conflicts on every apply. Off by default: an apply that would take a field another
   * manager owns is refused by the server and reported as `skipped` (reason Conflict). Drift
   * correction (self-heal) always forces, because taking the field back is what it means.
   */
  readonly force?: boolean;
  readonly selfHeal?: SelfHealPolicy;
  readonly ignore?: IgnoreRules;
  /** Parallel applies within one rank (default 16); the client's rate limit still applies. */
  readonly concurrency?: number;
  readonly logger?: Logger;
}

type Ref = ChangeSetEntry["ref"];

function refOf(o: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }): Ref {
  return { apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace ?? "", name: o.metadata.name };
}

function pointers(fields: readonly FieldDiff[]): string {
  return fields.map((f) => f.pointer).join(", ");
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Kubernetes write side: server-side apply with field manager `bosun`, CRDs and Namespaces first
 * (CRDs waited for Established), an unchanged object never written, drift corrected or reported
 * by the self-heal policy, deletes with propagation waited until gone.
 */
export class KubernetesSink {
  private readonly client: KubeClient;
  private readonly manager: string;
  private readonly selfHeal: SelfHealPolicy;

  constructor(private readonly opts: KubernetesSinkOptions) {
    this.client = opts.client;
    this.manager = opts.fieldManager ?? FIELD_MANAGER;
    this.selfHeal = opts.selfHeal ?? { global: true };
  }

  /** Diffs desired objects against live without writing anything. */
  async diff(desired: KubeObject, signal?: AbortSignal): Promise<ObjectDiff> {
    const prepared = prepareDesired(desired as unknown as JsonObject);
    const live = await this.client.get(refOf(desired), signal);
    return diffObject(prepared, live as unknown as JsonObject | undefined, { fieldManager: this.manager, ...(this.opts.ignore ? { ignore: this.opts.ignore } : {}) });
  }

  /** Applies a desired set in rank order (CRDs → Namespaces → the rest); one entry per object, input order within a rank. */
  async applyAll(desired: readonly KubeObject[], signal?: AbortSignal): Promise<ChangeSetEntry[]> {
    const out: ChangeSetEntry[] = [];
    for (const group of groupByRank(desired)) {
      const entries = await mapLimit(group, this.opts.concurrency ?? 16, (o) => this.apply(o, signal));
      out.push(...entries);
    }
    return out;
  }

  /** Applies one object; never throws for API errors (they become `skipped` entries with `error`). */
  async apply(desired: KubeObject, signal?: AbortSignal): Promise<ChangeSetEntry> {
    const ref = refOf(desired);
    const subject = describeRef(ref);
    try {
      const prepared = prepareDesired(desired as unknown as JsonObject);
      const live = await this.client.get(ref, signal);
      const d = diffObject(prepared, live as unknown as JsonObject | undefined, { fieldManager: this.manager, ...(this.opts.ignore ? { ignore: this.opts.ignore } : {}) });
      const heal = selfHealEnabled(this.selfHeal, prepared);
      if (d.state === "in-sync") return { action: "unchanged", subject, ref, reason: "in sync" };
      if (live !== undefined && (await this.noOpOnServer(prepared, live, signal))) {
        // The differences are fields this server drops or normalizes (e.g. schema keywords newer
        // than its API version); applying would only bump the resourceVersion.
        return { action: "unchanged", subject, ref, reason: `in sync (server normalizes ${pointers(d.fields)})` };
      }
      if (d.state === "drifted" && !heal) {
        return { action: "skipped", subject, ref, reason: `drift (self-heal off): ${pointers(d.fields)}`, fields: d.fields };
      }
      // On an existing object, ignored fields are not sent (Bosun lets whoever changed them keep them).
      const body = live === undefined ? prepared : removePointers(prepared, ignoreFor(ref.kind, this.opts.ignore ? { ignore: this.opts.ignore } : {}));
      const force = this.opts.force === true || d.state === "drifted";
      let result: KubeObject;
      try {
        result = await this.client.apply(body as unknown as KubeObject, { fieldManager: this.manager, force, ...(signal ? { signal } : {}) });
      } catch (err) {
        if (!isConflict(err) || force || !heal) throw err;
        // A Git change that collides with an out-of-band edit: self-heal takes the fields back.
        result = await this.client.apply(body as unknown as KubeObject, { fieldManager: this.manager, force: true, ...(signal ? { signal } : {}) });
      }
      if (ref.kind === "CustomResourceDefinition") {
        await waitEstablished(this.client, ref.name, signal);
        const spec = (desired["spec"] ?? {}) as { group?: string; versions?: Array<{ name: string }> };
        for (const v of spec.versions ?? []) this.client.mapper.invalidate(`${spec.group ?? ""}/${v.name}`);
      }
      if (live === undefined) return { action: "created", subject, ref, reason: "created" };
      if (result.metadata.resourceVersion === live.metadata.resourceVersion) {
        return { action: "unchanged", subject, ref, reason: "server reported no change", fields: d.fields };
      }
      const reason = d.state === "drifted" ? `drift corrected: ${pointers(d.fields)}` : `configured: ${pointers(d.fields)}`;
      return { action: "configured", subject, ref, reason, fields: d.fields };
    } catch (err) {
      if (signal?.aborted === true) throw err;
      const e = asError(err);
      const reason = isKubeApiError(err) ? `${err.reason}: ${err.message}` : e.message;
      this.opts.logger?.warn({ subject, err: e.message }, "apply failed");
      return { action: "skipped", subject, ref, reason, error: e };
    }
  }

  /** A forced dry-run apply that would leave the object as it is (no write happens). */
  private async noOpOnServer(prepared: JsonObject, live: KubeObject, signal?: AbortSignal): Promise<boolean> {
    const body = removePointers(prepared, ignoreFor(live.kind, this.opts.ignore ? { ignore: this.opts.ignore } : {}));
    const dry = await this.client.apply(body as unknown as KubeObject, { fieldManager: this.manager, force: true, dryRun: true, ...(signal ? { signal } : {}) });
    return sameLiveObject(dry as unknown as JsonObject, live as unknown as JsonObject);
  }

  /** Server-side apply of `status` (status subresource) under Bosun's field manager. */
  async applyStatus(obj: KubeObject, signal?: AbortSignal): Promise<ChangeSetEntry> {
    const ref = refOf(obj);
    const subject = describeRef(ref);
    try {
      const before = await this.client.get(ref, signal);
      const body = { apiVersion: obj.apiVersion, kind: obj.kind, metadata: { name: obj.metadata.name, ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}) }, status: obj["status"] };
      const after = await this.client.applyStatus(body, { fieldManager: this.manager, force: true, ...(signal ? { signal } : {}) });
      const same = before?.metadata.resourceVersion === after.metadata.resourceVersion;
      return { action: same ? "unchanged" : "configured", subject, ref, reason: same ? "status in sync" : "status updated" };
    } catch (err) {
      if (signal?.aborted === true) throw err;
      const e = asError(err);
      return { action: "skipped", subject, ref, reason: e.message, error: e };
    }
  }

  /** Deletes with propagation and waits until the object is gone. */
  async delete(ref: Ref, opts: { propagationPolicy?: PropagationPolicy; signal?: AbortSignal; timeoutMs?: number } = {}): Promise<ChangeSetEntry> {
    const subject = describeRef(ref);
    const oref = ref.namespace === "" ? { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name } : ref;
    try {
      const existed = await this.client.delete(oref, { propagationPolicy: opts.propagationPolicy ?? "Background", ...(opts.signal ? { signal: opts.signal } : {}) });
      await waitGone(this.client, oref, opts.signal, opts.timeoutMs);
      return existed ? { action: "deleted", subject, ref, reason: `deleted (${opts.propagationPolicy ?? "Background"})` }
        : { action: "skipped", subject, ref, reason: "already gone" };
    } catch (err) {
      if (opts.signal?.aborted === true) throw err;
      const e = asError(err);
      return { action: "skipped", subject, ref, reason: `delete failed: ${e.message}`, error: e };
    }
  }
}
