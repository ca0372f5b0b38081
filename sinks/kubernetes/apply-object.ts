import type { KubeClient } from "../../clients/kubernetes/client.ts";
import { isConflict } from "../../clients/kubernetes/errors.ts";
import type { KubeObject } from "../../clients/kubernetes/types.ts";
import {
  diffObject,
  FIELD_MANAGER,
  ignoreFor,
  prepareDesired,
  removePointers,
  sameLiveObject,
  selfHealEnabled,
  type FieldDiff,
  type IgnoreRules,
  type JsonObject as DiffJson,
  type ObjectDiff,
  type SelfHealPolicy,
} from "../../engine/diff/index.ts";
import type { Logger } from "../../engine/log/logger.ts";
import type { Change } from "../../engine/model/change.ts";
import { describeRef, refOf, type JsonObject, type ObjectRef } from "../../engine/model/object-ref.ts";
import { changedFields } from "./changed-fields.ts";
import { sinkFailure } from "./classify.ts";
import { diffJsonOf } from "./json.ts";
import { waitEstablished } from "./wait.ts";

export interface ObjectApplierOptions {
  readonly client: KubeClient;
  /** Field manager for server-side apply (default `bosun`). */
  readonly fieldManager?: string;
  /**
   * Force conflicts on every apply. Off by default: an apply that would take a field another
   * manager owns is refused by the server and reported as `skipped` (reason Conflict). Drift
   * correction (self-heal) always forces, because taking the field back is what it means.
   */
  readonly force?: boolean;
  /** Whether drift is corrected (default: globally on). */
  readonly selfHeal?: SelfHealPolicy;
  readonly ignore?: IgnoreRules;
  readonly logger?: Logger;
}

function pointers(fields: readonly FieldDiff[]): string {
  return fields.map((f) => f.pointer).join(", ");
}

/**
 * One object at a time against the API server: server-side apply with field manager `bosun`, the
 * live object read and diffed first so an in-sync object is never written, drift corrected or
 * reported by the self-heal policy, CRDs waited for Established. API failures never throw: they
 * come back as `skipped` changes with a typed SinkError (only an aborted signal throws).
 */
export class ObjectApplier {
  private readonly client: KubeClient;
  private readonly manager: string;
  private readonly selfHeal: SelfHealPolicy;

  constructor(private readonly opts: ObjectApplierOptions) {
    this.client = opts.client;
    this.manager = opts.fieldManager ?? FIELD_MANAGER;
    this.selfHeal = opts.selfHeal ?? { global: true };
  }

  private get ignore(): { ignore?: IgnoreRules } {
    return this.opts.ignore ? { ignore: this.opts.ignore } : {};
  }

  /** Desired vs live without writing anything. */
  async diff(desired: JsonObject, signal: AbortSignal): Promise<ObjectDiff> {
    const ref = refOf(desired);
    const prepared = prepareDesired(diffJsonOf(desired, describeRef(ref)));
    const live = await this.client.get(ref, signal);
    const options = { fieldManager: this.manager, ...this.ignore };
    return diffObject(prepared, live && diffJsonOf(live, describeRef(ref)), options);
  }

  /** Applies one object: created, configured, unchanged, or skipped (drift left alone, or a failure with `error`). */
  async apply(desired: JsonObject, signal: AbortSignal): Promise<Change> {
    const ref = refOf(desired);
    try {
      return await this.applyOrThrow(desired, ref, signal);
    } catch (err) {
      if (signal.aborted) throw err;
      const { reason, error } = sinkFailure(ref, err);
      this.opts.logger?.warn({ subject: describeRef(ref), err: reason }, "apply failed");
      return { action: "skipped", ref, reason, error };
    }
  }

  private async applyOrThrow(desired: JsonObject, ref: ObjectRef, signal: AbortSignal): Promise<Change> {
    const subject = describeRef(ref);
    const prepared = prepareDesired(diffJsonOf(desired, subject));
    const live = await this.client.get(ref, signal);
    const d = diffObject(prepared, live && diffJsonOf(live, subject), { fieldManager: this.manager, ...this.ignore });
    const heal = selfHealEnabled(this.selfHeal, prepared);
    if (d.state === "in-sync") return { action: "unchanged", ref, reason: "in sync" };
    const fields = changedFields(ref.kind, d.fields);
    if (live !== undefined && (await this.noOpOnServer(prepared, live, signal))) {
      // The differences are fields this server drops or normalizes (e.g. schema keywords newer
      // than its API version); applying would only bump the resourceVersion.
      return { action: "unchanged", ref, reason: `in sync (server normalizes ${pointers(d.fields)})` };
    }
    if (d.state === "drifted" && !heal) {
      return { action: "skipped", ref, reason: `drift (self-heal off): ${pointers(d.fields)}`, fields };
    }
    // On an existing object, ignored fields are not sent (Bosun lets whoever changed them keep them).
    const body = live === undefined ? prepared : removePointers(prepared, ignoreFor(ref.kind, this.ignore));
    const force = this.opts.force === true || d.state === "drifted";
    let result: KubeObject;
    try {
      result = await this.client.apply(body, { fieldManager: this.manager, force, signal });
    } catch (err) {
      if (!isConflict(err) || force || !heal) throw err;
      // A Git change that collides with an out-of-band edit: self-heal takes the fields back.
      result = await this.client.apply(body, { fieldManager: this.manager, force: true, signal });
    }
    if (ref.kind === "CustomResourceDefinition") await this.established(desired, ref, signal);
    if (live === undefined) return { action: "created", ref, reason: "created" };
    if (result.metadata.resourceVersion === live.metadata.resourceVersion) {
      return { action: "unchanged", ref, reason: "server reported no change", fields };
    }
    const reason = `${d.state === "drifted" ? "drift corrected" : "configured"}: ${pointers(d.fields)}`;
    return { action: "configured", ref, reason, fields };
  }

  /** Waits for a CRD to be served, then forgets the discovery of its versions (their kinds are new). */
  private async established(desired: JsonObject, ref: ObjectRef, signal: AbortSignal): Promise<void> {
    await waitEstablished(this.client, ref.name, signal);
    const spec = desired["spec"];
    if (typeof spec !== "object" || spec === null) return;
    const { group, versions } = spec as { group?: unknown; versions?: unknown };
    if (!Array.isArray(versions)) return;
    for (const v of versions as unknown[]) {
      const name = typeof v === "object" && v !== null ? (v as { name?: unknown }).name : undefined;
      if (typeof name === "string") this.client.mapper.invalidate(`${typeof group === "string" ? group : ""}/${name}`);
    }
  }

  /** A forced dry-run apply that would leave the object as it is (no write happens). */
  private async noOpOnServer(prepared: DiffJson, live: KubeObject, signal: AbortSignal): Promise<boolean> {
    const subject = describeRef(refOf(live));
    const body = removePointers(prepared, ignoreFor(live.kind, this.ignore));
    const dry = await this.client.apply(body, { fieldManager: this.manager, force: true, dryRun: true, signal });
    return sameLiveObject(diffJsonOf(dry, subject), diffJsonOf(live, subject));
  }

  /** Server-side apply of `status` (status subresource) under Bosun's field manager, forced (one writer per field). */
  async applyStatus(object: JsonObject, signal: AbortSignal): Promise<Change> {
    const ref = refOf(object);
    try {
      const before = await this.client.get(ref, signal);
      const metadata = { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) };
      const body = { apiVersion: ref.apiVersion, kind: ref.kind, metadata, status: object["status"] };
      const after = await this.client.applyStatus(body, { fieldManager: this.manager, force: true, signal });
      const same = before?.metadata.resourceVersion === after.metadata.resourceVersion;
      return { action: same ? "unchanged" : "configured", ref, reason: same ? "status in sync" : "status updated" };
    } catch (err) {
      if (signal.aborted) throw err;
      return { action: "skipped", ref, ...sinkFailure(ref, err) };
    }
  }
}
