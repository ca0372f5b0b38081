// The TenantCluster CRD (seed 001), used by generate.mjs. Bosun validates the spec itself
// (schemas/TenantCluster.json, strict): the CRD keeps the spec open and types the status Bosun writes.
const str = (extra = {}) => ({ type: "string", ...extra });
const int = (extra = {}) => ({ type: "integer", ...extra });
const obj = (properties, extra = {}) => ({ type: "object", properties, ...extra });

export function tenantClusterCrd() {
  const condition = obj({
    type: str(), status: str({ enum: ["True", "False", "Unknown"] }), reason: str(), message: str(),
    lastTransitionTime: str({ format: "date-time" }),
  }, { required: ["type", "status"] });
  const vm = obj({
    name: str(), vmid: int(), node: str(), state: str(), cores: int(), memoryMiB: int(), nodeReady: { type: "boolean" },
    cpuPercent: { type: "number" }, memoryBytes: int({ format: "int64" }),
  });
  const status = obj({
    phase: str({ enum: ["Pending", "Provisioning", "Ready", "Updating", "Stopped", "Deleting", "Failed"] }),
    reason: str(), message: str(), endpoint: str(), kubernetesVersion: str(),
    nodesReady: int(), nodesTotal: int(),
    workers: obj({ desired: int(), current: int(), running: int() }),
    vms: { type: "array", items: vm },
    conditions: { type: "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"], items: condition },
    firstReadyTime: str({ format: "date-time" }), lastTransitionTime: str({ format: "date-time" }),
    observedGeneration: int({ format: "int64" }),
  });
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "tenantclusters.fleet.bosun.dev" },
    spec: {
      group: "fleet.bosun.dev",
      names: { kind: "TenantCluster", listKind: "TenantClusterList", plural: "tenantclusters", singular: "tenantcluster", shortNames: ["tc"], categories: ["bosun"] },
      scope: "Namespaced",
      versions: [{
        name: "v1alpha1", served: true, storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: "Phase", type: "string", jsonPath: ".status.phase" },
          { name: "Version", type: "string", jsonPath: ".status.kubernetesVersion" },
          { name: "Endpoint", type: "string", jsonPath: ".status.endpoint" },
          { name: "Ready", type: "integer", jsonPath: ".status.nodesReady" },
          { name: "Workers", type: "integer", jsonPath: ".spec.workers.count" },
          { name: "Reason", type: "string", jsonPath: ".status.reason", priority: 1 },
          { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
        ],
        schema: {
          openAPIV3Schema: obj({
            apiVersion: str(), kind: str(), metadata: { type: "object" },
            spec: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
            status,
          }, { required: ["spec"] }),
        },
      }],
    },
  };
}
