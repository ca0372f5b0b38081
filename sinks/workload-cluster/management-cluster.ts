/**
 * One management cluster as the WorkloadCluster controller sees it (`ManagementCluster` port),
 * over the Kubernetes wire client: server-side apply as `bosun`, reads, the move's create / status
 * / merge patch / delete, and the CRDs it serves. Failures become SinkErrors (transient, permanent,
 * conflict) naming the cluster and the object.
 */
import { KubeApiError, type KubeClient } from "../../clients/kubernetes/index.ts";
import { SinkError, type JsonObject } from "../../engine/index.ts";
import type { ClusterObjectRef, ManagementCluster } from "../../engine/kinds/workload-cluster/ports.ts";
import { sinkErrorKind } from "../kubernetes/index.ts";

const FIELD_MANAGER = "bosun";
const MOVE_MANAGER = "bosun-move";
/** The API groups whose CRDs validate rendered templates. */
const CAPI_GROUP = /(^|\.)cluster\.x-k8s\.io$/;

const describe = (r: { kind: string; namespace?: string; name: string }): string =>
  `${r.kind} ${r.namespace ? `${r.namespace}/` : ""}${r.name}`;

export class KubeManagementCluster implements ManagementCluster {
  constructor(
    readonly name: string,
    private readonly client: KubeClient,
  ) {}

  private fail(what: string, err: unknown, signal: AbortSignal): never {
    if (signal.aborted) throw signal.reason;
    if (err instanceof SinkError) throw err;
    throw new SinkError(
      `management cluster ${this.name}: ${what}`,
      sinkErrorKind(err),
      err instanceof Error ? err.message : String(err),
      { cause: err },
    );
  }

  async crds(signal: AbortSignal): Promise<JsonObject[]> {
    try {
      const list = await this.client.list("apiextensions.k8s.io/v1", "CustomResourceDefinition", { signal });
      return list.items.filter((c) =>
        CAPI_GROUP.test(String((c as unknown as { spec?: { group?: string } }).spec?.group ?? "")),
      ) as unknown as JsonObject[];
    } catch (e) {
      return this.fail("list CRDs", e, signal);
    }
  }

  async apply(object: JsonObject, signal: AbortSignal): Promise<JsonObject> {
    try {
      return (await this.client.apply(object, {
        fieldManager: FIELD_MANAGER,
        force: true,
        signal,
      })) as unknown as JsonObject;
    } catch (e) {
      const m = (object["metadata"] ?? {}) as Record<string, unknown>;
      return this.fail(
        `apply ${describe({ kind: String(object["kind"]), namespace: String(m["namespace"] ?? ""), name: String(m["name"]) })}`,
        e,
        signal,
      );
    }
  }

  async get(ref: ClusterObjectRef, signal: AbortSignal): Promise<JsonObject | undefined> {
    try {
      return (await this.client.get(ref, signal)) as unknown as JsonObject | undefined;
    } catch (e) {
      if (e instanceof KubeApiError && e.statusCode === 404) return undefined;
      return this.fail(`get ${describe(ref)}`, e, signal);
    }
  }

  async list(
    apiVersion: string,
    kind: string,
    namespace: string,
    labelSelector: string | undefined,
    signal: AbortSignal,
  ): Promise<JsonObject[]> {
    try {
      const list = await this.client.list(apiVersion, kind, {
        namespace,
        ...(labelSelector ? { labelSelector } : {}),
        signal,
      });
      return list.items.map((i) => ({ apiVersion, kind, ...(i as unknown as JsonObject) }));
    } catch (e) {
      // A kind the cluster does not serve has no objects.
      if (e instanceof KubeApiError && e.statusCode === 404) return [];
      return this.fail(`list ${kind} in ${namespace}`, e, signal);
    }
  }

  async create(object: JsonObject, signal: AbortSignal): Promise<JsonObject> {
    try {
      return (await this.client.create(object, { fieldManager: MOVE_MANAGER, signal })) as unknown as JsonObject;
    } catch (e) {
      const m = (object["metadata"] ?? {}) as Record<string, unknown>;
      return this.fail(
        `create ${describe({ kind: String(object["kind"]), namespace: String(m["namespace"] ?? ""), name: String(m["name"]) })}`,
        e,
        signal,
      );
    }
  }

  async writeStatus(object: JsonObject, signal: AbortSignal): Promise<JsonObject> {
    try {
      return (await this.client.replaceStatus(object, signal)) as unknown as JsonObject;
    } catch (e) {
      const m = (object["metadata"] ?? {}) as Record<string, unknown>;
      return this.fail(
        `write status of ${describe({ kind: String(object["kind"]), name: String(m["name"]) })}`,
        e,
        signal,
      );
    }
  }

  async patch(ref: ClusterObjectRef, patch: JsonObject, signal: AbortSignal): Promise<JsonObject | undefined> {
    try {
      return (await this.client.mergePatch(ref, patch, {
        fieldManager: FIELD_MANAGER,
        signal,
      })) as unknown as JsonObject;
    } catch (e) {
      if (e instanceof KubeApiError && e.statusCode === 404) return undefined;
      return this.fail(`patch ${describe(ref)}`, e, signal);
    }
  }

  async remove(
    ref: ClusterObjectRef,
    signal: AbortSignal,
    propagation: "Background" | "Orphan" = "Background",
  ): Promise<void> {
    try {
      await this.client.delete(ref, { propagationPolicy: propagation, signal });
    } catch (e) {
      this.fail(`delete ${describe(ref)}`, e, signal);
    }
  }
}
