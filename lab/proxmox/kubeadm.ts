/**
 * What kubeadm's control-plane phases (and Kamaji, which runs them) set up in a cluster so that
 * `kubeadm join --token … --discovery-token-ca-cert-hash …` works, and the join user data a worker
 * VM gets. Used by the lab's tests, and by the lab Kamaji for its tenant apiservers.
 *
 * The cluster must run kube-apiserver with `--enable-bootstrap-token-auth` and a
 * kube-controller-manager with `bootstrapsigner` (signs cluster-info for each token),
 * `csrapproving` and `csrsigning` (`--cluster-signing-cert-file/--cluster-signing-key-file`), as the
 * lab kube environment does (lab/kube/kube-env.ts).
 */
import { randomBytes } from "node:crypto";
import { stringify } from "yaml";
import { KubeClient, isStatus } from "../../agent/kube/client.ts";
import type { KubeConnectionConfig } from "../../agent/kube/kubeconfig.ts";
import { caCertHash } from "./worker/kubelet.ts";

export { caCertHash };

/** The group kubeadm gives its default node bootstrap tokens. */
export const NODE_BOOTSTRAP_GROUP = "system:bootstrappers:kubeadm:default-node-token";

async function createOrReplace(client: KubeClient, collection: string, name: string, obj: object): Promise<void> {
  try {
    await client.json("POST", collection, obj);
  } catch (e) {
    if (!isStatus(e, 409)) throw e;
    const cur = await client.json<{ metadata: { resourceVersion: string } }>("GET", `${collection}/${name}`);
    const o = obj as { metadata: Record<string, unknown> };
    await client.json("PUT", `${collection}/${name}`, {
      ...o,
      metadata: { ...o.metadata, resourceVersion: cur.metadata.resourceVersion },
    });
  }
}

function binding(name: string, role: string, group: string): object {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name, labels: { "app.kubernetes.io/managed-by": "bosun-lab" } },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: group }],
  };
}

/**
 * kubeadm's `bootstrap-token` phase: the `kube-public/cluster-info` ConfigMap (CA + server), its
 * anonymous read Role, and the bindings that let bootstrap tokens create node CSRs that
 * kube-controller-manager approves. Plus `system:node` for `system:nodes` (the Node authorizer's
 * grants, for an apiserver that runs RBAC only). Idempotent.
 */
export async function prepareClusterForJoin(
  admin: KubeConnectionConfig,
  cluster: { server: string; caPem: string },
): Promise<void> {
  const client = new KubeClient(admin);
  try {
    const kubeconfig = stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        {
          name: "",
          cluster: {
            "certificate-authority-data": Buffer.from(cluster.caPem).toString("base64"),
            server: cluster.server,
          },
        },
      ],
      contexts: [],
      users: [],
      preferences: {},
    });
    const cms = "/api/v1/namespaces/kube-public/configmaps";
    try {
      await client.json("POST", cms, {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "cluster-info", namespace: "kube-public" },
        data: { kubeconfig },
      });
    } catch (e) {
      if (!isStatus(e, 409)) throw e;
      // Keep the JWS signatures the bootstrapsigner added; only the kubeconfig is ours.
      await client.json(
        "PATCH",
        `${cms}/cluster-info`,
        { data: { kubeconfig } },
        { contentType: "application/merge-patch+json" },
      );
    }
    const rbac = "/apis/rbac.authorization.k8s.io/v1";
    await createOrReplace(client, `${rbac}/namespaces/kube-public/roles`, "kubeadm:bootstrap-signer-clusterinfo", {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "kubeadm:bootstrap-signer-clusterinfo", namespace: "kube-public" },
      rules: [{ apiGroups: [""], resources: ["configmaps"], resourceNames: ["cluster-info"], verbs: ["get"] }],
    });
    await createOrReplace(
      client,
      `${rbac}/namespaces/kube-public/rolebindings`,
      "kubeadm:bootstrap-signer-clusterinfo",
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: "kubeadm:bootstrap-signer-clusterinfo", namespace: "kube-public" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "kubeadm:bootstrap-signer-clusterinfo" },
        subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "system:anonymous" }],
      },
    );
    const bindings: [string, string, string][] = [
      ["kubeadm:kubelet-bootstrap", "system:node-bootstrapper", NODE_BOOTSTRAP_GROUP],
      [
        "kubeadm:node-autoapprove-bootstrap",
        "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
        NODE_BOOTSTRAP_GROUP,
      ],
      [
        "kubeadm:node-autoapprove-certificate-rotation",
        "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
        "system:nodes",
      ],
      ["bosun-lab:system-node", "system:node", "system:nodes"],
    ];
    for (const [name, role, group] of bindings)
      await createOrReplace(client, `${rbac}/clusterrolebindings`, name, binding(name, role, group));
  } finally {
    client.close();
  }
}

/**
 * A bootstrap token Secret in kube-system (`bootstrap-token-<id>`, usage authentication + signing,
 * group system:bootstrappers:kubeadm:default-node-token), as `kubeadm token create` makes it.
 * Returns the token `<id>.<secret>`.
 */
export async function createBootstrapToken(
  admin: KubeConnectionConfig,
  options: { ttlSeconds?: number; description?: string } = {},
): Promise<string> {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const pick = (n: number): string => [...randomBytes(n)].map((b) => alphabet[b % 36]).join("");
  const id = pick(6);
  const secret = pick(16);
  const client = new KubeClient(admin);
  try {
    await client.json("POST", "/api/v1/namespaces/kube-system/secrets", {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: `bootstrap-token-${id}`, namespace: "kube-system" },
      type: "bootstrap.kubernetes.io/token",
      stringData: {
        "token-id": id,
        "token-secret": secret,
        expiration: new Date(Date.now() + (options.ttlSeconds ?? 3600) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"),
        "usage-bootstrap-authentication": "true",
        "usage-bootstrap-signing": "true",
        "auth-extra-groups": NODE_BOOTSTRAP_GROUP,
        description: options.description ?? "bosun lab worker join",
      },
    });
  } finally {
    client.close();
  }
  return `${id}.${secret}`;
}

/** The join data a worker VM gets: `#cloud-config` with `hostname` and a `kubeadm join` in `runcmd`. */
export function joinUserData(j: {
  /** `host:port` of the apiserver. */
  endpoint: string;
  token: string;
  /** `sha256:<hex>` (caCertHash of the cluster CA). */
  caCertHash: string;
  hostname: string;
  nodeName?: string;
}): string {
  const join = [
    "kubeadm",
    "join",
    j.endpoint,
    "--token",
    j.token,
    "--discovery-token-ca-cert-hash",
    j.caCertHash,
    ...(j.nodeName ? ["--node-name", j.nodeName] : []),
  ].join(" ");
  return `#cloud-config\n${stringify({ hostname: j.hostname, runcmd: [join] })}`;
}
