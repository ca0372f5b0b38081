/** Any Kubernetes object as plain JSON. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: KubeMeta;
  [field: string]: unknown;
}

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: "Apply" | "Update";
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

export interface KubeMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  managedFields?: ManagedFieldsEntry[];
  [field: string]: unknown;
}

/** Identity of an object: apiVersion + kind (+ namespace) + name. */
export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  /** "" or absent for cluster-scoped objects. */
  readonly namespace?: string;
  readonly name: string;
}

/** A resource type as discovery reports it. */
export interface ResourceMapping {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** The URL segment, e.g. `deployments`. */
  readonly resource: string;
  readonly namespaced: boolean;
}

export interface ObjectList {
  readonly items: KubeObject[];
  /** The list's resourceVersion: start a watch from here. */
  readonly resourceVersion: string;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK";

export interface WatchEvent {
  readonly type: WatchEventType;
  readonly object: KubeObject;
}

export function apiVersionOf(group: string, version: string): string {
  return group === "" ? version : `${group}/${version}`;
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf("/");
  return i < 0 ? { group: "", version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** `Kind ns/name` or `Kind name`: how errors and ChangeSet entries name an object. */
export function describeRef(r: { kind: string; namespace?: string | undefined; name: string }): string {
  return r.namespace !== undefined && r.namespace !== "" ? `${r.kind} ${r.namespace}/${r.name}` : `${r.kind} ${r.name}`;
}

export function refOf(o: KubeObject): ObjectRef {
  const ns = o.metadata.namespace;
  return ns !== undefined && ns !== "" ? { apiVersion: o.apiVersion, kind: o.kind, namespace: ns, name: o.metadata.name }
    : { apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name };
}
