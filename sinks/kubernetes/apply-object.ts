import type { KubeClient } from "../../clients/kubernetes/client.ts";
import { isConflict } from "../../clients/kubernetes/errors.ts";
import type { KubeObject } from "../../clients/kubernetes/types.ts";
import {
  DIGEST_ANNOTATION,
  diffObject,
  FIELD_MANAGER,
  ignoreFor,
  prepareDesired,
  removePointers,
  sameLiveObject,
  selfHealEnabled,
  withoutNamespace,
  type DiffOptions,
  type FieldDiff,
  type IgnoreRules,
  type JsonObject as DiffJson,
  type ObjectDiff,
  type SelfHealPolicy,
} from "../../engine/diff/index.ts";
import type { Logger } from "../../engine/log/logger.ts";
import type { Change } from "../../engine/model/change.ts";
import { describeRef, refKey, refOf, type JsonObject, type ObjectRef } from "../../engine/model/object-ref.ts";
import { changedFields } from "./changed-fields.ts";
import { sinkFailure } from "./classify.ts";
import type { DriftCache } from "./drift-cache.ts";
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
  /** Differences in fields these managers own in live are neither drift nor changes (e.g. an autoscaler). */
  readonly ignoreManagers?: readonly string[];
  readonly logger?: Logger;
  /**
   * The watch-fed live objects (sources/kubernetes/managed-objects.ts): read instead of a GET per
   * object, so an unchanged pass makes no request. Without it every object is read by GET.
   */
  readonly cache?: DriftCache;
}

function pointers(fields: readonly FieldDiff[]): string {
  return fields.map((f) => f.pointer).join(", ");
}

function digestOf(prepared: DiffJson): string | undefined {
  const meta = prepared["metadata"] as { annotations?: Record<string, unknown> } | undefined;
  const v = meta?.annotations?.[DIGEST_ANNOTATION];
  return typeof v === "string" ? v : undefined;
}

/** A live object without what a dry run may leave out or a cache does not keep (status, last-applied, times). */
function comparable(o: DiffJson): DiffJson {
  const { status: _status, ...rest } = o;
  const meta = { ...((o["metadata"] ?? {}) as DiffJson) };
  const ann = meta["annotations"] as Record<string, unknown> | undefined;
  if (ann && "kubectl.kubernetes.io/last-applied-configuration" in ann) {
    const { "kubectl.kubernetes.io/last-applied-configuration": _last, ...annotations } = ann;
    meta["annotations"] = annotations as DiffJson;
  }
  return { ...rest, metadata: meta };
}

/** What the last look at one object decided without writing, for its resourceVersion and desired digest. */
interface Verdict {
  readonly resourceVersion: string;
  readonly digest: string;
  readonly change: Change;
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
  private readonly diffOptions: DiffOptions;
  /**
   * Verdicts that wrote nothing (in sync, or drift left alone with self-heal off), by object: while
   * neither the live resourceVersion nor the desired digest moves, the object is not diffed (nor
   * dry-run) again; an unchanged pass costs a map lookup per object.
   */
  private readonly verdicts = new Map<string, Verdict>();

  constructor(private readonly opts: ObjectApplierOptions) {
    this.client = opts.client;
    this.manager = opts.fieldManager ?? FIELD_MANAGER;
    this.selfHeal = opts.selfHeal ?? { global: true };
    this.diffOptions = {
      fieldManager: this.manager,
      ...(opts.ignore ? { ignore: opts.ignore } : {}),
      ...(opts.ignoreManagers ? { ignoreManagers: opts.ignoreManagers } : {}),
    };
  }

  private get ignore(): { ignore?: IgnoreRules } {
    return this.opts.ignore ? { ignore: this.opts.ignore } : {};
  }

  /**
   * The desired body as the server holds it: without `metadata.namespace` when discovery says the
   * kind is cluster-scoped (a CRD with `scope: Cluster` included), then prepared (stamps, digest,
   * a Secret's stringData folded into data).
   */
  private async prepared(desired: JsonObject, ref: ObjectRef, signal: AbortSignal): Promise<DiffJson> {
    const body = diffJsonOf(desired, describeRef(ref));
    if (ref.namespace === "") return prepareDesired(body);
    const mapping = await this.client.mapping(ref.apiVersion, ref.kind, signal);
    return prepareDesired(mapping.namespaced ? body : withoutNamespace(body));
  }

  /** The live object: from the drift cache when it has it, else a GET (which then goes into the cache). */
  private async read(ref: ObjectRef, signal: AbortSignal): Promise<KubeObject | undefined> {
    const cached = this.opts.cache?.lookup(ref);
    if (cached !== undefined) return cached;
    const live = await this.client.get(ref, signal);
    if (live !== undefined) this.opts.cache?.record(live);
    return live;
  }

  private remember(key: string, live: KubeObject, digest: string | undefined, change: Change): Change {
    const rv = live.metadata.resourceVersion;
    if (rv !== undefined && digest !== undefined) this.verdicts.set(key, { resourceVersion: rv, digest, change });
    return change;
  }

  /** Forgets what it knew of an object (it was deleted). */
  forget(ref: ObjectRef): void {
    this.verdicts.delete(refKey(ref));
  }

  /** Desired vs live without writing anything. */
  async diff(desired: JsonObject, signal: AbortSignal): Promise<ObjectDiff> {
    const ref = refOf(desired);
    const prepared = await this.prepared(desired, ref, signal);
    const live = await this.read(ref, signal);
    return diffObject(prepared, live && diffJsonOf(live, describeRef(ref)), this.diffOptions);
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
    const prepared = await this.prepared(desired, ref, signal);
    const live = await this.read(ref, signal);
    const key = refKey(ref);
    const digest = digestOf(prepared);
    const known = live !== undefined ? this.verdicts.get(key) : undefined;
    if (known && known.resourceVersion === live?.metadata.resourceVersion && known.digest === digest) {
      return known.change;
    }
    this.verdicts.delete(key);
    const d = diffObject(prepared, live && diffJsonOf(live, subject), this.diffOptions);
    const heal = selfHealEnabled(this.selfHeal, prepared);
    if (d.state === "in-sync") {
      const change: Change = { action: "unchanged", ref, reason: "in sync" };
      return live !== undefined ? this.remember(key, live, digest, change) : change;
    }
    const fields = changedFields(ref.kind, d.fields);
    if (live !== undefined && (await this.noOpOnServer(prepared, live, signal))) {
      // The differences are fields this server drops or normalizes (e.g. schema keywords newer
      // than its API version); applying would only bump the resourceVersion.
      const reason = `in sync (server normalizes ${pointers(d.fields)})`;
      return this.remember(key, live, digest, { action: "unchanged", ref, reason });
    }
    if (d.state === "drifted" && !heal && live !== undefined) {
      const reason = `drift (self-heal off): ${pointers(d.fields)}`;
      return this.remember(key, live, digest, { action: "skipped", ref, reason, fields });
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
    this.opts.cache?.record(result);
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
    return sameLiveObject(comparable(diffJsonOf(dry, subject)), comparable(diffJsonOf(live, subject)));
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
