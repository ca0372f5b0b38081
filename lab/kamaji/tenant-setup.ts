/**
 * What Kamaji's kubeadm phases create in a new tenant cluster so workers can join with a bootstrap
 * token (the same objects `kubeadm init` makes): the cluster-admins binding of admin.conf, the
 * bootstrap group's rights to create and auto-approve node CSRs, node certificate rotation, and the
 * `kube-public/cluster-info` ConfigMap readable anonymously (signed per token by the bootstrap signer).
 */
import type { KubeClient } from "../../clients/kubernetes/index.ts";
import type { JsonObject } from "../../engine/index.ts";

export const BOOTSTRAP_GROUP = "system:bootstrappers:kubeadm:default-node-token";

const crb = (name: string, role: string, kind: "Group" | "User", subject: string): JsonObject => ({
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "ClusterRoleBinding",
  metadata: { name },
  roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
  subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind, name: subject }],
});

export function tenantBootstrapObjects(server: string, caPem: string): JsonObject[] {
  const clusterInfo = [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: ''",
    "  cluster:",
    `    certificate-authority-data: ${Buffer.from(caPem).toString("base64")}`,
    `    server: ${server}`,
    "contexts: []",
    "current-context: ''",
    "preferences: {}",
    "users: []",
    "",
  ].join("\n");
  return [
    crb("kubeadm:cluster-admins", "cluster-admin", "Group", "kubeadm:cluster-admins"),
    crb("kubeadm:kubelet-bootstrap", "system:node-bootstrapper", "Group", BOOTSTRAP_GROUP),
    crb(
      "kubeadm:node-autoapprove-bootstrap",
      "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
      "Group",
      BOOTSTRAP_GROUP,
    ),
    crb(
      "kubeadm:node-autoapprove-certificate-rotation",
      "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
      "Group",
      "system:nodes",
    ),
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "kubeadm:get-nodes" },
      rules: [{ apiGroups: [""], resources: ["nodes"], verbs: ["get"] }],
    },
    crb("kubeadm:get-nodes", "kubeadm:get-nodes", "Group", BOOTSTRAP_GROUP),
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "cluster-info", namespace: "kube-public" },
      data: { kubeconfig: clusterInfo },
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "kubeadm:bootstrap-signer-clusterinfo", namespace: "kube-public" },
      rules: [{ apiGroups: [""], resources: ["configmaps"], resourceNames: ["cluster-info"], verbs: ["get"] }],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "kubeadm:bootstrap-signer-clusterinfo", namespace: "kube-public" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "kubeadm:bootstrap-signer-clusterinfo" },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "system:anonymous" }],
    },
  ];
}

export async function applyTenantBootstrap(
  tenant: KubeClient,
  server: string,
  caPem: string,
  signal: AbortSignal,
): Promise<void> {
  for (const o of tenantBootstrapObjects(server, caPem)) {
    await tenant.apply(o, { fieldManager: "kamaji", force: true, signal });
  }
}
