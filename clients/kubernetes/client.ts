import type { KubeConfig } from "@kubernetes/client-node";
import { isNotFound } from "./errors.ts";
import { RestMapper, resourcePath } from "./discovery.ts";
import { KubeRest, type RestOptions } from "./rest.ts";
import { describeRef } from "../../engine/model/object-ref.ts";
import {
  kubeRefOf,
  type JsonObject,
  type KubeObject,
  type KubeRef,
  type ObjectList,
  type ResourceMapping,
  type WatchEvent,
} from "./types.ts";
import { watchEvents } from "./watch-stream.ts";

export interface ListOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Page size (default 500). */
  readonly limit?: number;
  readonly signal?: AbortSignal;
}

export interface ApplyOptions {
  /** Field manager (Bosun uses `bosun`). */
  readonly fieldManager: string;
  /** Take fields other managers own. Off unless asked for. */
  readonly force?: boolean;
  readonly dryRun?: boolean;
  readonly signal?: AbortSignal;
}

export type PropagationPolicy = "Foreground" | "Background" | "Orphan";

export interface WatchOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly resourceVersion?: string;
  /** Server ends the watch after this many seconds (clean end, resume from the last RV). */
  readonly timeoutSeconds?: number;
  readonly signal?: AbortSignal;
}

export type KubeClientOptions = RestOptions;

const sig = (s: AbortSignal | undefined): { signal?: AbortSignal } => (s ? { signal: s } : {});

/**
 * Generic, typed Kubernetes client over any kind (discovery-mapped), rate-limited, AbortSignal
 * everywhere. Bodies are plain JSON objects, checked for apiVersion, kind and metadata.name before
 * anything is sent (an {@link InvalidObjectError} otherwise); answers are {@link KubeObject}s.
 */
export class KubeClient {
  readonly rest: KubeRest;
  readonly mapper: RestMapper;

  constructor(kc: KubeConfig, opts: KubeClientOptions = {}) {
    this.rest = new KubeRest(kc, opts);
    this.mapper = new RestMapper(this.rest);
  }

  mapping(apiVersion: string, kind: string, signal?: AbortSignal): Promise<ResourceMapping> {
    return this.mapper.mapping(apiVersion, kind, signal);
  }

  /** The live object, or undefined when it does not exist. */
  async get(ref: KubeRef, signal?: AbortSignal): Promise<KubeObject | undefined> {
    const m = await this.mapping(ref.apiVersion, ref.kind, signal);
    try {
      return await this.rest.request<KubeObject>({
        method: "GET",
        path: resourcePath(m, ref.namespace, ref.name),
        subject: `get ${describeRef(ref)}`,
        ...sig(signal),
      });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Pages through a LIST with limit/continue; yields one page at a time. */
  async *listPages(apiVersion: string, kind: string, opts: ListOptions = {}): AsyncGenerator<ObjectList> {
    const m = await this.mapping(apiVersion, kind, opts.signal);
    let cont: string | undefined;
    do {
      const page = await this.rest.request<{
        items: KubeObject[] | null;
        metadata: { resourceVersion?: string; continue?: string };
      }>({
        method: "GET",
        path: resourcePath(m, opts.namespace),
        subject: `list ${kind}`,
        query: {
          limit: opts.limit ?? 500,
          continue: cont,
          labelSelector: opts.labelSelector,
          fieldSelector: opts.fieldSelector,
        },
        ...sig(opts.signal),
      });
      // Items in a list carry no apiVersion/kind; fill them in so they are whole objects.
      const items = (page.items ?? []).map((o) => ({
        ...o,
        apiVersion: o.apiVersion ?? apiVersion,
        kind: o.kind ?? kind,
      }));
      yield { items, resourceVersion: page.metadata.resourceVersion ?? "" };
      cont = page.metadata.continue !== undefined && page.metadata.continue !== "" ? page.metadata.continue : undefined;
    } while (cont !== undefined);
  }

  /** All pages concatenated; resourceVersion of the last page (a consistent snapshot). */
  async list(apiVersion: string, kind: string, opts: ListOptions = {}): Promise<ObjectList> {
    const items: KubeObject[] = [];
    let resourceVersion = "";
    for await (const page of this.listPages(apiVersion, kind, opts)) {
      items.push(...page.items);
      resourceVersion = page.resourceVersion;
    }
    return { items, resourceVersion };
  }

  /** Server-side apply (PATCH application/apply-patch+yaml). */
  async apply(obj: JsonObject, opts: ApplyOptions): Promise<KubeObject> {
    return this.applyTo(obj, undefined, opts);
  }

  /** Server-side apply to the status subresource. */
  async applyStatus(obj: JsonObject, opts: ApplyOptions): Promise<KubeObject> {
    return this.applyTo(obj, "status", opts);
  }

  private async applyTo(obj: JsonObject, sub: string | undefined, opts: ApplyOptions): Promise<KubeObject> {
    const what = `apply${sub ? ` ${sub}` : ""}`;
    const ref = kubeRefOf(obj, what);
    const m = await this.mapping(ref.apiVersion, ref.kind, opts.signal);
    return this.rest.request<KubeObject>({
      method: "PATCH",
      path: resourcePath(m, ref.namespace, ref.name, sub),
      contentType: "application/apply-patch+yaml",
      body: obj,
      query: {
        fieldManager: opts.fieldManager,
        force: opts.force === true ? true : undefined,
        dryRun: opts.dryRun === true ? "All" : undefined,
      },
      subject: `${what} ${describeRef(ref)}`,
      ...sig(opts.signal),
    });
  }

  /** Replaces the status subresource (PUT; optimistic concurrency on metadata.resourceVersion). */
  async replaceStatus(obj: JsonObject, signal?: AbortSignal): Promise<KubeObject> {
    const ref = kubeRefOf(obj, "update status");
    const m = await this.mapping(ref.apiVersion, ref.kind, signal);
    return this.rest.request<KubeObject>({
      method: "PUT",
      path: resourcePath(m, ref.namespace, ref.name, "status"),
      body: obj,
      subject: `update status ${describeRef(ref)}`,
      ...sig(signal),
    });
  }

  /** Replaces an object (PUT; optimistic concurrency on metadata.resourceVersion). */
  async replace(obj: JsonObject, signal?: AbortSignal): Promise<KubeObject> {
    const ref = kubeRefOf(obj, "update");
    const m = await this.mapping(ref.apiVersion, ref.kind, signal);
    return this.rest.request<KubeObject>({
      method: "PUT",
      path: resourcePath(m, ref.namespace, ref.name),
      body: obj,
      subject: `update ${describeRef(ref)}`,
      ...sig(signal),
    });
  }

  /** Creates an object (POST), as any client would; Bosun itself applies. */
  async create(obj: JsonObject, opts: { fieldManager?: string; signal?: AbortSignal } = {}): Promise<KubeObject> {
    const ref = kubeRefOf(obj, "create");
    const m = await this.mapping(ref.apiVersion, ref.kind, opts.signal);
    return this.rest.request<KubeObject>({
      method: "POST",
      path: resourcePath(m, ref.namespace),
      body: obj,
      query: { fieldManager: opts.fieldManager },
      subject: `create ${describeRef(ref)}`,
      ...sig(opts.signal),
    });
  }

  /** JSON merge patch under a field manager (an out-of-band edit, as kubectl does). */
  async mergePatch(
    ref: KubeRef,
    patch: unknown,
    opts: { fieldManager?: string; signal?: AbortSignal } = {},
  ): Promise<KubeObject> {
    const m = await this.mapping(ref.apiVersion, ref.kind, opts.signal);
    return this.rest.request<KubeObject>({
      method: "PATCH",
      path: resourcePath(m, ref.namespace, ref.name),
      body: patch,
      contentType: "application/merge-patch+json",
      query: { fieldManager: opts.fieldManager },
      subject: `patch ${describeRef(ref)}`,
      ...sig(opts.signal),
    });
  }

  /** Deletes; returns false when the object was already gone. */
  async delete(
    ref: KubeRef,
    opts: { propagationPolicy?: PropagationPolicy; signal?: AbortSignal } = {},
  ): Promise<boolean> {
    const m = await this.mapping(ref.apiVersion, ref.kind, opts.signal);
    try {
      await this.rest.request<unknown>({
        method: "DELETE",
        path: resourcePath(m, ref.namespace, ref.name),
        body: { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: opts.propagationPolicy ?? "Background" },
        subject: `delete ${describeRef(ref)}`,
        ...sig(opts.signal),
      });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** Opens a watch and yields its events; see {@link watchEvents} for how it ends. */
  async *watch(apiVersion: string, kind: string, opts: WatchOptions = {}): AsyncGenerator<WatchEvent> {
    const m = await this.mapping(apiVersion, kind, opts.signal);
    const subject = `watch ${kind}`;
    const res = await this.rest.stream({
      path: resourcePath(m, opts.namespace),
      subject,
      query: {
        watch: 1,
        allowWatchBookmarks: true,
        resourceVersion: opts.resourceVersion,
        labelSelector: opts.labelSelector,
        timeoutSeconds: opts.timeoutSeconds,
      },
      ...sig(opts.signal),
    });
    yield* watchEvents(res, subject, opts.signal);
  }

  close(): void {
    this.rest.close();
  }
}
