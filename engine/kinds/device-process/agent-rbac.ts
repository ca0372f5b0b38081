/**
 * RBAC for device agents (pure). An agent authenticates as User `bosun-device:<device>` (group
 * `bosun:devices`, from its CSR-issued certificate). What it may do:
 *
 * - shared (once per cluster): bootstrap tokens (group system:bootstrappers:bosun-devices) may
 *   create CSRs (built-in ClusterRole system:node-bootstrapper); devices may create/get CSRs to
 *   renew their certificate.
 * - per device, rendered from the DeviceProcesses scheduled there (by the engine with bosun.yaml
 *   `agents.rbac`, or by `bosun-agent rbac`; one Role +
 *   RoleBinding per device and namespace): get, and status get/patch/update, of ITS DeviceProcesses
 *   only (resourceNames); get of the Secrets/ConfigMaps they reference only; create Events; its own
 *   heartbeat Lease only (get/update by name; create cannot be limited by name in RBAC).
 *
 * Limit (RBAC cannot filter list/watch by label): list/watch of deviceprocesses is granted on the
 * namespace, so an agent can read (not change) the specs of other devices' DeviceProcesses in the
 * same namespace. Specs hold no secrets (those are referenced, and Secret reads are per name).
 * For full read isolation, give each device its own namespace or add an authorizer webhook that
 * checks the bosun.dev/device label (like the Node authorizer).
 */

export const BOOTSTRAP_GROUP = "system:bootstrappers:bosun-devices";
export const DEVICE_GROUP = "bosun:devices";
export const deviceUser = (device: string): string => `bosun-device:${device}`;

type Obj = Record<string, unknown>;

export function renderSharedRbac(): Obj[] {
  return [
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "bosun-device-bootstrap", labels: { "app.kubernetes.io/part-of": "bosun" } },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:node-bootstrapper" },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: BOOTSTRAP_GROUP }],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "bosun-device-csr", labels: { "app.kubernetes.io/part-of": "bosun" } },
      rules: [
        { apiGroups: ["certificates.k8s.io"], resources: ["certificatesigningrequests"], verbs: ["create", "get"] },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "bosun-device-csr", labels: { "app.kubernetes.io/part-of": "bosun" } },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "bosun-device-csr" },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: DEVICE_GROUP }],
    },
  ];
}

export interface DeviceRbacInput {
  device: string;
  /** Namespace of the device's DeviceProcesses. */
  namespace: string;
  deviceProcesses: string[];
  secrets?: string[];
  configMaps?: string[];
  /** Namespace of the heartbeat Lease (default: namespace). */
  leaseNamespace?: string;
}

function binding(name: string, namespace: string, device: string): Obj {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name, namespace, labels: { "bosun.dev/device": device } },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: deviceUser(device) }],
  };
}

export function renderDeviceRbac(i: DeviceRbacInput): Obj[] {
  const name = `bosun-device-${i.device}`;
  const leaseNs = i.leaseNamespace ?? i.namespace;
  const leaseRules = [
    { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
    {
      apiGroups: ["coordination.k8s.io"],
      resources: ["leases"],
      resourceNames: [name],
      verbs: ["get", "update", "patch"],
    },
  ];
  const rules: Obj[] = [
    { apiGroups: ["azure.com"], resources: ["deviceprocesses"], verbs: ["list", "watch"] },
    { apiGroups: ["events.k8s.io", ""], resources: ["events"], verbs: ["create"] },
  ];
  if (i.deviceProcesses.length > 0) {
    rules.push(
      {
        apiGroups: ["azure.com"],
        resources: ["deviceprocesses"],
        resourceNames: [...i.deviceProcesses].sort(),
        verbs: ["get"],
      },
      {
        apiGroups: ["azure.com"],
        resources: ["deviceprocesses/status"],
        resourceNames: [...i.deviceProcesses].sort(),
        verbs: ["get", "patch", "update"],
      },
    );
  }
  if (i.secrets?.length)
    rules.push({ apiGroups: [""], resources: ["secrets"], resourceNames: [...i.secrets].sort(), verbs: ["get"] });
  if (i.configMaps?.length)
    rules.push({ apiGroups: [""], resources: ["configmaps"], resourceNames: [...i.configMaps].sort(), verbs: ["get"] });
  if (leaseNs === i.namespace) rules.push(...leaseRules);
  const out: Obj[] = [
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name, namespace: i.namespace, labels: { "bosun.dev/device": i.device } },
      rules,
    },
    binding(name, i.namespace, i.device),
  ];
  if (leaseNs !== i.namespace) {
    out.push(
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: { name, namespace: leaseNs, labels: { "bosun.dev/device": i.device } },
        rules: leaseRules,
      },
      binding(name, leaseNs, i.device),
    );
  }
  return out;
}
