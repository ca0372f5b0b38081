/**
 * Built-in Kubernetes kinds that pass through as plain manifests (checked for apiVersion,
 * kind and a valid name), with their scope. Custom kinds need their CRD in the repo.
 */
const namespaced: Record<string, readonly string[]> = {
  v1: [
    "ConfigMap",
    "Secret",
    "Service",
    "ServiceAccount",
    "Pod",
    "PersistentVolumeClaim",
    "LimitRange",
    "ResourceQuota",
    "Endpoints",
    "Event",
  ],
  "apps/v1": ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"],
  "batch/v1": ["Job", "CronJob"],
  "rbac.authorization.k8s.io/v1": ["Role", "RoleBinding"],
  "networking.k8s.io/v1": ["Ingress", "NetworkPolicy"],
  "policy/v1": ["PodDisruptionBudget"],
  "coordination.k8s.io/v1": ["Lease"],
  "autoscaling/v2": ["HorizontalPodAutoscaler"],
  "autoscaling/v1": ["HorizontalPodAutoscaler"],
  "discovery.k8s.io/v1": ["EndpointSlice"],
};

const clusterScoped: Record<string, readonly string[]> = {
  v1: ["Namespace", "PersistentVolume", "Node"],
  "rbac.authorization.k8s.io/v1": ["ClusterRole", "ClusterRoleBinding"],
  "apiextensions.k8s.io/v1": ["CustomResourceDefinition"],
  "storage.k8s.io/v1": ["StorageClass"],
  "scheduling.k8s.io/v1": ["PriorityClass"],
  "admissionregistration.k8s.io/v1": ["ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"],
  "certificates.k8s.io/v1": ["CertificateSigningRequest"],
};

function index(table: Record<string, readonly string[]>): Set<string> {
  return new Set(Object.entries(table).flatMap(([v, kinds]) => kinds.map((k) => `${v}|${k}`)));
}

const namespacedSet = index(namespaced);
const clusterSet = index(clusterScoped);

/** `true`/`false` for a built-in kind's scope, `undefined` when the kind is not built in. */
export function builtinNamespaced(apiVersion: string, kind: string): boolean | undefined {
  const id = `${apiVersion}|${kind}`;
  if (namespacedSet.has(id)) return true;
  if (clusterSet.has(id)) return false;
  return undefined;
}
