// Generates the CRDs Bosun ships (deploy/crds/*.yaml). Run: node deploy/crds/generate.mjs
// Structural schemas (apiextensions.k8s.io/v1), printer columns as in seed 004.
import { writeFileSync } from "node:fs";
import { stringify } from "yaml";
import { tenantClusterCrd } from "./tenant-cluster.mjs";

const dir = new URL(".", import.meta.url);
const str = (extra = {}) => ({ type: "string", ...extra });
const int = (extra = {}) => ({ type: "integer", format: "int32", ...extra });
const strList = () => ({ type: "array", items: str() });
const obj = (properties, extra = {}) => ({ type: "object", properties, ...extra });

const conditions = {
  type: "array",
  "x-kubernetes-list-type": "map",
  "x-kubernetes-list-map-keys": ["type"],
  items: obj({
    type: str(), status: str({ enum: ["True", "False", "Unknown"] }), reason: str(), message: str(),
    lastTransitionTime: str({ format: "date-time" }), observedGeneration: { type: "integer", format: "int64" },
  }, { required: ["type", "status"] }),
};

const labelSelector = obj({
  matchLabels: { type: "object", additionalProperties: str() },
  matchExpressions: {
    type: "array",
    items: obj({ key: str(), operator: str({ enum: ["In", "NotIn", "Exists", "DoesNotExist"] }), values: strList() }, { required: ["key", "operator"] }),
  },
});

const quantity = { "x-kubernetes-int-or-string": true, anyOf: [{ type: "integer" }, { type: "string" }] };

const processSpec = (required) => obj({
  deviceRef: obj({ kind: str({ enum: ["NetworkSwitch", "SOC", "BMC", "Server", "DPU"] }), name: str({ minLength: 1 }) }, { required: ["kind", "name"] }),
  artifact: obj({
    type: str({ enum: ["oci", "http", "file"] }),
    url: str({ minLength: 1 }),
    checksumSHA256: str({ pattern: "^[a-f0-9]{64}$" }),
    version: str(),
    pullSecretRef: obj({ name: str() }, { required: ["name"] }),
  }, { required: ["type", "url"] }),
  execution: obj({
    backend: str({ enum: ["systemd", "initd", "container", "exec"] }),
    command: strList(), args: strList(),
    env: { type: "array", items: obj({ name: str(), value: str(), valueFrom: { type: "object", "x-kubernetes-preserve-unknown-fields": true } }, { required: ["name"] }) },
    workingDir: str(),
    user: str(),
  }, { required: ["backend"] }),
  restartPolicy: str({ enum: ["Always", "OnFailure", "Never"], default: "Always" }),
  healthCheck: obj({
    exec: obj({ command: strList() }),
    http: obj({ url: str(), path: str(), port: { "x-kubernetes-int-or-string": true, anyOf: [{ type: "integer" }, { type: "string" }] }, scheme: str({ enum: ["HTTP", "HTTPS"] }) }),
    periodSeconds: int({ minimum: 1, default: 30 }),
    timeoutSeconds: int({ minimum: 1, default: 5 }),
    successThreshold: int({ minimum: 1, default: 1 }),
    failureThreshold: int({ minimum: 1, default: 3 }),
  }),
  resources: obj({
    limits: obj({ cpu: quantity, memory: quantity }),
    requests: obj({ cpu: quantity, memory: quantity }),
  }),
}, { required, "x-kubernetes-preserve-unknown-fields": true });

function crd({ group, kind, plural, singular, shortNames, spec, status, columns, scope = "Namespaced", categories, version = "v1alpha1", labels }) {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.${group}`, ...(labels ? { labels } : {}) },
    spec: {
      group,
      names: { kind, listKind: `${kind}List`, plural, singular, ...(shortNames ? { shortNames } : {}), ...(categories ? { categories } : {}) },
      scope,
      versions: [{
        name: version, served: true, storage: true,
        subresources: { status: {} },
        ...(columns ? { additionalPrinterColumns: columns } : {}),
        schema: { openAPIV3Schema: obj({ apiVersion: str(), kind: str(), metadata: { type: "object" }, spec, status }, { required: ["spec"] }) },
      }],
    },
  };
}

const age = { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" };

const files = {
  "azure.com_deviceprocesses.yaml": crd({
    group: "azure.com", kind: "DeviceProcess", plural: "deviceprocesses", singular: "deviceprocess", shortNames: ["dp"], categories: ["bosun"],
    spec: processSpec(["deviceRef", "artifact", "execution"]),
    status: obj({
      phase: str({ enum: ["Pending", "Running", "Succeeded", "Failed", "Unknown"] }),
      // pid, startTime … are null while no process runs; the agent may write null.
      conditions, artifactVersion: str({ nullable: true }), pid: int({ nullable: true }), startTime: str({ format: "date-time", nullable: true }),
      restartCount: int({ nullable: true }), lastTerminationReason: str({ nullable: true }), observedGeneration: { type: "integer", format: "int64" },
    }, { "x-kubernetes-preserve-unknown-fields": true }),
    columns: [
      { name: "Device", type: "string", jsonPath: ".spec.deviceRef.name" },
      { name: "Phase", type: "string", jsonPath: ".status.phase" },
      { name: "Version", type: "string", jsonPath: ".status.artifactVersion" },
      { name: "Restarts", type: "integer", jsonPath: ".status.restartCount" },
      age,
    ],
  }),
  "azure.com_deviceprocessdeployments.yaml": crd({
    group: "azure.com", kind: "DeviceProcessDeployment", plural: "deviceprocessdeployments", singular: "deviceprocessdeployment", shortNames: ["dpd"], categories: ["bosun"],
    spec: obj({
      selector: labelSelector,
      updateStrategy: obj({
        type: str({ enum: ["RollingUpdate", "Recreate"], default: "RollingUpdate" }),
        rollingUpdate: obj({ maxUnavailable: { "x-kubernetes-int-or-string": true, anyOf: [{ type: "integer" }, { type: "string" }] } }),
      }),
      template: obj({
        metadata: obj({ labels: { type: "object", additionalProperties: str() }, annotations: { type: "object", additionalProperties: str() } }),
        spec: processSpec(["artifact", "execution"]),
      }, { required: ["spec"] }),
      waves: {
        type: "array",
        items: obj({ name: str(), selector: labelSelector, approval: str({ enum: ["required", "auto"], default: "auto" }), successThreshold: str({ pattern: "^[0-9]{1,3}%$" }) }, { required: ["name"] }),
      },
      successThreshold: str({ pattern: "^[0-9]{1,3}%$" }),
      paused: { type: "boolean" },
    }, { required: ["selector", "template"] }),
    status: obj({
      observedGeneration: { type: "integer", format: "int64" },
      desiredNumberScheduled: int(), currentNumberScheduled: int(), numberReady: int(),
      numberAvailable: int(), numberUnavailable: int(), updatedNumberScheduled: int(), conditions,
      revision: str(), phase: str({ enum: ["Complete", "Progressing", "WaitingForApproval", "Paused"] }), currentWave: str(),
      revisionHistory: strList(),
    }, { "x-kubernetes-preserve-unknown-fields": true }),
    // DaemonSet's columns (UP-TO-DATE = on the current revision), then the rollout's phase and wave; -o wide adds more.
    columns: [
      { name: "Desired", type: "integer", jsonPath: ".status.desiredNumberScheduled" },
      { name: "Current", type: "integer", jsonPath: ".status.currentNumberScheduled" },
      { name: "Ready", type: "integer", jsonPath: ".status.numberReady" },
      { name: "Up-to-date", type: "integer", jsonPath: ".status.updatedNumberScheduled", description: "Devices running the current revision." },
      { name: "Available", type: "integer", jsonPath: ".status.numberAvailable" },
      { name: "Unavailable", type: "integer", jsonPath: ".status.numberUnavailable" },
      { name: "Phase", type: "string", jsonPath: ".status.phase" },
      { name: "Wave", type: "string", jsonPath: ".status.currentWave", description: "First wave not done, and its place." },
      age,
      { name: "Revision", type: "string", jsonPath: ".status.revision", priority: 1 },
      { name: "Strategy", type: "string", jsonPath: ".spec.updateStrategy.type", priority: 1 },
      { name: "Message", type: "string", jsonPath: ".status.conditions[?(@.type==\"Progressing\")].message", priority: 1 },
    ],
  }),
  "agents.tinkerbell.io_faragents.yaml": crd({
    group: "agents.tinkerbell.io", kind: "FARAgent", plural: "faragents", singular: "faragent", categories: ["bosun"],
    spec: obj({
      taskId: str(),
      resourceLimits: obj({ cpu: quantity, memory: quantity }),
      lifecycle: obj({ state: str({ enum: ["active", "sleep", "resurrect", "blocked", "force-sleep"] }) }, { required: ["state"] }),
      microvm: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
    }, { required: ["taskId", "lifecycle"], "x-kubernetes-preserve-unknown-fields": true }),
    status: obj({ currentState: str(), lastTransitionTime: str({ format: "date-time" }), conditions }, { "x-kubernetes-preserve-unknown-fields": true }),
    columns: [
      { name: "Task", type: "string", jsonPath: ".spec.taskId" },
      { name: "Desired", type: "string", jsonPath: ".spec.lifecycle.state" },
      { name: "State", type: "string", jsonPath: ".status.currentState" },
      age,
    ],
  }),
};

const inventorySpec = obj(Object.fromEntries(
  ["serialNumber", "macAddress", "model", "vendor", "firmwareVersion", "managementAddress", "rack", "site", "arch"].map((k) => [k, str()]),
));
for (const [kind, plural] of [["NetworkSwitch", "networkswitches"], ["SOC", "socs"], ["BMC", "bmcs"], ["Server", "servers"], ["DPU", "dpus"]]) {
  files[`azure.com_${plural}.yaml`] = crd({
    group: "azure.com", kind, plural, singular: kind.toLowerCase(), categories: ["bosun", "devices"],
    spec: inventorySpec,
    status: obj({ conditions }, { "x-kubernetes-preserve-unknown-fields": true }),
    columns: [
      { name: "Model", type: "string", jsonPath: ".spec.model" },
      { name: "Rack", type: "string", jsonPath: ".spec.rack" },
      { name: "Site", type: "string", jsonPath: ".spec.site" },
      age,
    ],
  });
}

Object.assign(files, kvmProviderCrds());

files["fleet.bosun.dev_tenantclusters.yaml"] = tenantClusterCrd();

for (const [name, doc] of Object.entries(files)) {
  writeFileSync(new URL(name, dir), `# Generated by deploy/crds/generate.mjs; edit the generator, not this file.\n${stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false })}`);
}

/**
 * The KVM infrastructure provider's CRDs (Cluster API, seed 003 appendix; providers/kvm). Served as v1beta1, the CAPI
 * v1beta1 contract label so core resolves the version, the clusterctl provider label on each.
 */
function kvmProviderCrds() {
  const group = "infrastructure.cluster.x-k8s.io";
  const labels = { "cluster.x-k8s.io/provider": "infrastructure-kvm", "cluster.x-k8s.io/v1beta1": "v1beta1" };
  const categories = ["cluster-api", "bosun"];
  const capiConditions = {
    type: "array",
    items: obj({
      type: str({ minLength: 1 }), status: str({ enum: ["True", "False", "Unknown"] }), severity: str({ enum: ["Error", "Warning", "Info", ""] }),
      reason: str(), message: str(), lastTransitionTime: str({ format: "date-time" }),
    }, { required: ["type", "status", "lastTransitionTime"] }),
  };
  const endpoint = obj({ host: str(), port: int({ minimum: 0, maximum: 65535 }) }, { required: ["host", "port"] });
  const size = { ...quantity, pattern: "^[0-9]+(\\.[0-9]+)?([KMGT]i?|[KMGT]B|k)?$" };
  const machineSpec = obj({
    providerID: str(),
    failureDomain: str(),
    resources: obj({
      cpu: int({ minimum: 1, maximum: 64 }),
      memory: size,
      disk: size,
      dockerVolumeSize: size,
    }, { required: ["cpu", "memory", "disk"] }),
  }, { required: ["resources"] });
  const cluster = (kind) => ({ name: "Cluster", type: "string", jsonPath: ".metadata.labels.cluster\\.x-k8s\\.io/cluster-name", description: `Cluster to which this ${kind} belongs` });
  return {
    "infrastructure.cluster.x-k8s.io_kvmclusters.yaml": crd({
      group, kind: "KVMCluster", plural: "kvmclusters", singular: "kvmcluster", categories, version: "v1beta1", labels,
      spec: obj({ controlPlaneEndpoint: endpoint }),
      status: obj({
        ready: { type: "boolean" },
        initialization: obj({ provisioned: { type: "boolean" } }),
        failureReason: str(), failureMessage: str(), conditions: capiConditions,
        observedGeneration: { type: "integer", format: "int64" },
      }),
      columns: [
        cluster("KVMCluster"),
        { name: "Ready", type: "boolean", jsonPath: ".status.ready" },
        { name: "Endpoint", type: "string", jsonPath: ".spec.controlPlaneEndpoint.host" },
        age,
      ],
    }),
    "infrastructure.cluster.x-k8s.io_kvmmachines.yaml": crd({
      group, kind: "KVMMachine", plural: "kvmmachines", singular: "kvmmachine", categories, version: "v1beta1", labels,
      spec: machineSpec,
      status: obj({
        ready: { type: "boolean" },
        initialization: obj({ provisioned: { type: "boolean" } }),
        vmState: str({ enum: ["pending", "running", "stopped", "failed", "deleted", "unknown"] }),
        addresses: {
          type: "array",
          items: obj({ type: str({ enum: ["Hostname", "ExternalIP", "InternalIP", "ExternalDNS", "InternalDNS"] }), address: str() }, { required: ["type", "address"] }),
        },
        domain: obj({ name: str(), uuid: str(), type: str({ enum: ["kvm", "qemu"] }), host: str() }),
        failureReason: str(), failureMessage: str(), conditions: capiConditions,
        observedGeneration: { type: "integer", format: "int64" },
      }),
      columns: [
        cluster("KVMMachine"),
        { name: "State", type: "string", jsonPath: ".status.vmState" },
        { name: "Ready", type: "boolean", jsonPath: ".status.ready" },
        { name: "ProviderID", type: "string", jsonPath: ".spec.providerID" },
        { name: "Machine", type: "string", jsonPath: ".metadata.ownerReferences[?(@.kind==\"Machine\")].name" },
        age,
        { name: "Domain", type: "string", jsonPath: ".status.domain.name", priority: 1 },
        { name: "Reason", type: "string", jsonPath: ".status.failureReason", priority: 1 },
      ],
    }),
    "infrastructure.cluster.x-k8s.io_kvmmachinetemplates.yaml": crd({
      group, kind: "KVMMachineTemplate", plural: "kvmmachinetemplates", singular: "kvmmachinetemplate", categories, version: "v1beta1", labels,
      spec: obj({
        template: obj({
          metadata: obj({ labels: { type: "object", additionalProperties: str() }, annotations: { type: "object", additionalProperties: str() } }),
          spec: machineSpec,
        }, { required: ["spec"] }),
      }, { required: ["template"] }),
      status: obj({ capacity: { type: "object", additionalProperties: quantity } }),
      columns: [
        { name: "CPU", type: "integer", jsonPath: ".spec.template.spec.resources.cpu" },
        { name: "Memory", type: "string", jsonPath: ".spec.template.spec.resources.memory" },
        { name: "Disk", type: "string", jsonPath: ".spec.template.spec.resources.disk" },
        age,
      ],
    }),
  };
}
