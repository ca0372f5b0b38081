/**
 * Generated scale fixtures: a device inventory, a fleet repo of 100 DeviceProcessDeployments
 * (one `fleet-agent` selecting 80 % of devices in two waves, 99 `svc-NN` selecting one pool of
 * about 1 % each) and the live objects (devices, DeviceProcesses, Leases) as the API would send
 * them in LIST pages of 500. Deterministic: the same size gives the same bytes.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadFleet, type DesiredState } from "../../engine/desired/load-fleet.ts";
import { readDeployment } from "../../engine/kinds/device-process-deployment/deployment.ts";
import { place } from "../../engine/kinds/device-process-deployment/expand.ts";
import type { Device, DeviceKind } from "../../engine/model/device.ts";

export const NAMESPACE = "infra";
export const DEPLOYMENTS = 100;
const KIND_BY_SLOT: readonly [DeviceKind, string][] = [
  ...Array<[DeviceKind, string]>(5).fill(["NetworkSwitch", "switch"]),
  ...Array<[DeviceKind, string]>(4).fill(["SOC", "soc"]),
  ...Array<[DeviceKind, string]>(4).fill(["DPU", "dpu"]),
  ...Array<[DeviceKind, string]>(3).fill(["BMC", "bmc"]),
  ...Array<[DeviceKind, string]>(4).fill(["Server", "server"]),
];

/** Device i of the fleet: 80 % are switches/SoCs/DPUs/BMCs (the fleet-agent's), 20 % servers; 20 sites; 99 pools. */
export function device(i: number): Device {
  const [kind, type] = KIND_BY_SLOT[i % 20] as [DeviceKind, string];
  return {
    kind,
    name: `${type}-${String(i).padStart(6, "0")}`,
    labels: { type, site: `s${Math.floor(i / 50) % 20}`, rack: `r${Math.floor(i / 40)}`, pool: `p${(i * 7919) % 99}` },
  };
}

export function* devices(n: number): Generator<Device> {
  for (let i = 0; i < n; i++) yield device(i);
}

function deploymentYaml(name: string, selector: string, version: string, waves: string): string {
  return `apiVersion: azure.com/v1alpha1
kind: DeviceProcessDeployment
metadata:
  name: ${name}
  namespace: ${NAMESPACE}
  labels:
    app: ${name}
spec:
  selector:
${selector}  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 10%
${waves}  template:
    spec:
      artifact:
        type: oci
        url: ghcr.io/apollo/${name}:${version}
        version: ${version}
        checksumSHA256: ${"5e".repeat(32)}
      execution:
        backend: container
        command: ["/bin/${name}"]
        args: ["--interval", "30s"]
      restartPolicy: Always
`;
}

/** The fleet repo: bosun.yaml + 100 deployment files; `agentVersion` is the one-line change. */
export function fleetFiles(agentVersion: string): Map<string, string> {
  const files = new Map<string, string>();
  files.set(
    "bosun.yaml",
    `apiVersion: bosun.dev/v1alpha1
kind: BosunConfig
defaults:
  namespace: ${NAMESPACE}
  rollout:
    maxUnavailable: 10%
    successThreshold: 90%
  prune: true
status:
  mode: branch
  branch: bosun/status
  maxFailingDevices: 20
`,
  );
  files.set(
    "deployments/fleet-agent.yaml",
    deploymentYaml(
      "fleet-agent",
      `    matchExpressions:
      - key: type
        operator: In
        values: [switch, soc, dpu, bmc]
`,
      agentVersion,
      `  waves:
    - name: canary
      selector:
        matchExpressions:
          - key: site
            operator: In
            values: [s0, s1]
`,
    ),
  );
  for (let k = 1; k < DEPLOYMENTS; k++) {
    const name = `svc-${String(k).padStart(2, "0")}`;
    files.set(
      `deployments/${name}.yaml`,
      deploymentYaml(
        name,
        `    matchLabels:
      pool: p${k - 1}
`,
        "v1",
        "",
      ),
    );
  }
  return files;
}

export function writeFleet(dir: string, agentVersion: string): void {
  for (const [path, text] of fleetFiles(agentVersion)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

export function loadFixture(agentVersion: string): DesiredState {
  const enc = new TextEncoder();
  const r = loadFleet([...fleetFiles(agentVersion)].map(([path, text]) => ({ path, bytes: enc.encode(text) })));
  if (!r.ok) throw new Error(`fixture fleet invalid: ${JSON.stringify(r.diagnostics.slice(0, 3))}`);
  return r;
}

const meta = (kind: string, name: string, rv: number): Record<string, unknown> => ({
  name,
  namespace: NAMESPACE,
  uid: `00000000-0000-4000-8000-${String(rv).padStart(12, "0")}`,
  resourceVersion: String(rv),
  generation: 1,
  creationTimestamp: "2025-01-01T00:00:00Z",
  managedFields: [
    {
      manager: kind === "Lease" ? "bosun-agent" : "bosun",
      operation: "Apply",
      apiVersion: "v1",
      time: "2025-01-01T00:00:00Z",
      fieldsType: "FieldsV1",
      fieldsV1: { "f:metadata": { "f:labels": {} }, "f:spec": {} },
    },
  ],
});

function deviceObject(d: Device, i: number): Record<string, unknown> {
  return {
    apiVersion: "azure.com/v1alpha1",
    kind: d.kind,
    metadata: { ...meta(d.kind, d.name, i + 1), labels: d.labels },
    spec: {
      serialNumber: `SN${i}`,
      macAddress: `02:00:${(i >> 16) & 255}:${(i >> 8) & 255}:${i & 255}:01`,
      model: "sn2700",
      vendor: "apollo",
      firmwareVersion: "1.2.3",
      rack: d.labels["rack"],
      site: d.labels["site"],
    },
  };
}

function processObject(
  deployment: string,
  d: Device,
  revision: string,
  wave: string,
  i: number,
): Record<string, unknown> {
  const at = "2025-01-01T00:00:00Z";
  return {
    apiVersion: "azure.com/v1alpha1",
    kind: "DeviceProcess",
    metadata: {
      ...meta("DeviceProcess", `${deployment}-${d.name}`, 1_000_000 + i),
      labels: {
        ...d.labels,
        app: deployment,
        "app.kubernetes.io/managed-by": "bosun",
        "bosun.dev/device": d.name,
        "bosun.dev/deployment": deployment,
        "bosun.dev/revision": revision,
        "bosun.dev/wave": wave,
      },
      ownerReferences: [
        {
          apiVersion: "azure.com/v1alpha1",
          kind: "DeviceProcessDeployment",
          name: deployment,
          uid: "uid",
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      deviceRef: { kind: d.kind, name: d.name },
      artifact: { type: "oci", url: `ghcr.io/apollo/${deployment}:v1`, version: "v1", checksumSHA256: "5e".repeat(32) },
      execution: { backend: "container", command: [`/bin/${deployment}`] },
      restartPolicy: "Always",
    },
    status: {
      observedGeneration: 1,
      phase: "Running",
      restartCount: 0,
      conditions: ["ArtifactDownloaded", "ProcessStarted", "Healthy"].map((type) => ({
        type,
        status: "True",
        lastTransitionTime: at,
        reason: type,
        message: "",
      })),
    },
  };
}

function leaseObject(d: Device, i: number, renewTime: string): Record<string, unknown> {
  return {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: meta("Lease", `bosun-device-${d.name}`, 2_000_000 + i),
    spec: { holderIdentity: d.name, leaseDurationSeconds: 300, renewTime },
  };
}

/** LIST pages (JSON text, 500 items) of every live object: devices, then processes (all ready), then leases. */
export function* livePages(
  n: number,
  desired: DesiredState,
  revisions: ReadonlyMap<string, string>,
  renewTime: string,
): Generator<string> {
  const inventory = [...devices(n)];
  let items: Record<string, unknown>[] = [];
  let page = 0;
  const flush = (kind: string): string => {
    const text = JSON.stringify({
      apiVersion: "v1",
      kind: `${kind}List`,
      metadata: { resourceVersion: String(3_000_000 + page++), continue: "" },
      items,
    });
    items = [];
    return text;
  };
  for (let i = 0; i < inventory.length; i++) {
    items.push(deviceObject(inventory[i] as Device, i));
    if (items.length === 500) yield flush("Device");
  }
  if (items.length > 0) yield flush("Device");
  let count = 0;
  for (const object of desired.objects) {
    if (object.kind !== "DeviceProcessDeployment") continue;
    const dep = readDeployment(object, desired.config);
    for (const p of place(dep, inventory)) {
      items.push(
        processObject(
          dep.name,
          p.device,
          revisions.get(dep.name) ?? dep.revision,
          dep.waves[p.wave]?.name ?? "",
          count++,
        ),
      );
      if (items.length === 500) yield flush("DeviceProcess");
    }
  }
  if (items.length > 0) yield flush("DeviceProcess");
  for (let i = 0; i < inventory.length; i++) {
    items.push(leaseObject(inventory[i] as Device, i, renewTime));
    if (items.length === 500) yield flush("Lease");
  }
  if (items.length > 0) yield flush("Lease");
}

/** Revision of each deployment in a desired state. */
export function revisionsOf(desired: DesiredState): Map<string, string> {
  return new Map(
    desired.objects
      .filter((o) => o.kind === "DeviceProcessDeployment")
      .map((o) => [o.name, readDeployment(o, desired.config).revision]),
  );
}
