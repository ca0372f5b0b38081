import type { JsonObject, ObjectRef } from "../../engine/model/object-ref.ts";
import { InvalidObjectError } from "./errors.ts";

export type { JsonObject, ObjectRef } from "../../engine/model/object-ref.ts";

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

/**
 * What the client accepts as an object's identity: the engine's {@link ObjectRef}, whose namespace
 * may also be left out for a cluster-scoped object (absent and "" mean the same).
 */
export type KubeRef = Omit<ObjectRef, "namespace"> & { readonly namespace?: string };

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
  if (i < 0) return { group: "", version: apiVersion };
  return { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const nonEmpty = (v: unknown): v is string => typeof v === "string" && v !== "";

/** Whether a plain JSON object is a Kubernetes object: apiVersion, kind and metadata.name are non-empty strings. */
export function isKubeObject(o: JsonObject): o is KubeObject {
  const meta = o["metadata"];
  return (
    nonEmpty(o["apiVersion"]) &&
    nonEmpty(o["kind"]) &&
    isRecord(meta) &&
    nonEmpty(meta["name"]) &&
    (meta["namespace"] === undefined || typeof meta["namespace"] === "string")
  );
}

/** The checked converter: the object as a KubeObject, or an {@link InvalidObjectError} naming `subject`. */
export function toKubeObject(o: JsonObject, subject = "object"): KubeObject {
  if (isKubeObject(o)) return o;
  const message = "not a Kubernetes object: apiVersion, kind and metadata.name must be non-empty strings";
  throw new InvalidObjectError(subject, message);
}

/** The identity of a body about to be sent, checked (see {@link toKubeObject}). */
export function kubeRefOf(o: JsonObject, subject?: string): ObjectRef {
  const k = toKubeObject(o, subject);
  return { apiVersion: k.apiVersion, kind: k.kind, namespace: k.metadata.namespace ?? "", name: k.metadata.name };
}
