/**
 * What the API server does to an object on its way in, so that the diff reads Git and live the way
 * Kubernetes would: a Secret's `stringData` folded into `data`, no namespace on cluster-scoped
 * objects, the keys of built-in associative lists (for live objects whose managedFields say
 * nothing), and defaulted list-key fields. Pure.
 */
import { isObj } from "./fields-v1.ts";
import { quantityAt, type Path } from "./quantity.ts";
import type { Json, JsonObject } from "./types.ts";

function groupOf(apiVersion: unknown): string {
  if (typeof apiVersion !== "string") return "";
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}

/** Built-in cluster-scoped kinds, by `group/Kind` (core group ""). */
const CLUSTER_SCOPED = new Set([
  "/Namespace",
  "/Node",
  "/PersistentVolume",
  "/ComponentStatus",
  "rbac.authorization.k8s.io/ClusterRole",
  "rbac.authorization.k8s.io/ClusterRoleBinding",
  "apiextensions.k8s.io/CustomResourceDefinition",
  "apiregistration.k8s.io/APIService",
  "storage.k8s.io/StorageClass",
  "storage.k8s.io/CSIDriver",
  "storage.k8s.io/CSINode",
  "storage.k8s.io/VolumeAttachment",
  "scheduling.k8s.io/PriorityClass",
  "admissionregistration.k8s.io/ValidatingWebhookConfiguration",
  "admissionregistration.k8s.io/MutatingWebhookConfiguration",
  "admissionregistration.k8s.io/ValidatingAdmissionPolicy",
  "admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding",
  "certificates.k8s.io/CertificateSigningRequest",
  "certificates.k8s.io/ClusterTrustBundle",
  "networking.k8s.io/IngressClass",
  "networking.k8s.io/IPAddress",
  "networking.k8s.io/ServiceCIDR",
  "node.k8s.io/RuntimeClass",
  "policy/PodSecurityPolicy",
  "flowcontrol.apiserver.k8s.io/FlowSchema",
  "flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration",
  "resource.k8s.io/DeviceClass",
]);

/** True for the built-in cluster-scoped kinds (custom kinds: ask discovery or the CRD's `scope`). */
export function clusterScopedKind(apiVersion: unknown, kind: unknown): boolean {
  return typeof kind === "string" && CLUSTER_SCOPED.has(`${groupOf(apiVersion)}/${kind}`);
}

/** A copy of `obj` without `metadata.namespace` (the server drops it on cluster-scoped objects). */
export function withoutNamespace(obj: JsonObject): JsonObject {
  const meta = obj["metadata"];
  if (!isObj(meta) || !("namespace" in meta)) return obj;
  const { namespace: _dropped, ...rest } = meta;
  return { ...obj, metadata: rest };
}

function base64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

/**
 * A Secret as the server stores it: `stringData` folded into `data` (base64; a stringData key wins
 * over the same data key), line breaks inside base64 values dropped (the server re-encodes), and a
 * null value read as empty. Other kinds are returned as they are.
 */
export function normalizeSecret(obj: JsonObject): JsonObject {
  if (obj["kind"] !== "Secret" || groupOf(obj["apiVersion"]) !== "") return obj;
  const stringData = obj["stringData"];
  const data = obj["data"];
  if (!isObj(stringData) && !isObj(data)) return obj;
  const out: JsonObject = { ...obj };
  delete out["stringData"];
  const folded: JsonObject = {};
  if (isObj(data)) {
    for (const [k, v] of Object.entries(data)) folded[k] = typeof v === "string" ? v.replace(/[\r\n]/g, "") : "";
  }
  if (isObj(stringData)) {
    for (const [k, v] of Object.entries(stringData)) {
      if (v === null) continue;
      folded[k] = base64(typeof v === "string" ? v : JSON.stringify(v));
    }
  }
  out["data"] = folded;
  return out;
}

/**
 * Keys of the built-in associative lists (`x-kubernetes-list-map-keys` / patchMergeKey), by field
 * name: used when no manager's managedFields reveal how a list merges (objects written without
 * server-side apply). `ports` depends on the item: a container port or a service port.
 */
const LIST_KEYS: Readonly<Record<string, readonly string[]>> = {
  containers: ["name"],
  initContainers: ["name"],
  ephemeralContainers: ["name"],
  env: ["name"],
  volumes: ["name"],
  volumeMounts: ["mountPath"],
  volumeDevices: ["devicePath"],
  imagePullSecrets: ["name"],
  hostAliases: ["ip"],
  conditions: ["type"],
  topologySpreadConstraints: ["topologyKey", "whenUnsatisfiable"],
  resourceClaims: ["name"],
  schedulingGates: ["name"],
  resizePolicy: ["resourceName"],
};

/** Key fields the server defaults when an item leaves them out (`ports[].protocol: TCP`). */
export const KEY_DEFAULTS: Readonly<Record<string, Json>> = { protocol: "TCP" };

/** The keys of a built-in associative list named `field` whose items are `items`, or undefined. */
export function knownListKeys(field: string | undefined, items: readonly Json[]): readonly string[] | undefined {
  if (field === undefined || items.length === 0 || !items.every(isObj)) return undefined;
  let keys = LIST_KEYS[field];
  if (field === "ports") {
    const objs = items as JsonObject[];
    if (objs.every((i) => i["containerPort"] !== undefined)) keys = ["containerPort", "protocol"];
    else if (objs.every((i) => i["port"] !== undefined)) keys = ["port", "protocol"];
  }
  if (keys === undefined) return undefined;
  const first = keys[0] as string;
  return (items as JsonObject[]).every((i) => i[first] !== undefined) ? keys : undefined;
}

/** Built-in API groups (the core group, `apps`, `batch`, … and `*.k8s.io`): their types are the apimachinery ones. */
function builtinGroup(apiVersion: unknown): boolean {
  const group = groupOf(apiVersion);
  return !group.includes(".") || group.endsWith(".k8s.io");
}

function quantitiesAsStrings(v: Json, path: Path | undefined): Json {
  if (typeof v === "number") return quantityAt(path) ? String(v) : v;
  if (Array.isArray(v)) {
    const item = { t: "#", up: path };
    let out: Json[] | undefined;
    v.forEach((x, i) => {
      const y = quantitiesAsStrings(x, item);
      if (y !== x) (out ??= [...v])[i] = y;
    });
    return out ?? v;
  }
  if (isObj(v)) {
    let out: JsonObject | undefined;
    for (const [k, x] of Object.entries(v)) {
      const y = quantitiesAsStrings(x, { t: k, up: path });
      if (y !== x) (out ??= { ...v })[k] = y;
    }
    return out ?? v;
  }
  return v;
}

/**
 * Quantities written as YAML numbers (`cpu: 0.2`, `memory: 536870912`) as strings, in the built-in
 * kinds: the server's server-side apply schema types a quantity as a string and refuses a number
 * ("expected string"), while it stores the string as a quantity (canonically: `0.2` → `200m`).
 * Custom kinds are left as written (their schema says what a field is).
 */
export function quantityStrings(obj: JsonObject): JsonObject {
  return builtinGroup(obj["apiVersion"]) ? (quantitiesAsStrings(obj, undefined) as JsonObject) : obj;
}
