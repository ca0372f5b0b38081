/**
 * Join data for workers, as kubeadm uses it: a bootstrap token Secret in the tenant's kube-system
 * (`bootstrap-token-<id>`, usages authentication + signing, group
 * system:bootstrappers:kubeadm:default-node-token, Bosun's label and an expiration), the tenant
 * CA's public-key hash and the control-plane endpoint; rendered as `#cloud-config` user data whose
 * `runcmd` is `kubeadm join <endpoint> --token … --discovery-token-ca-cert-hash sha256:… --node-name …`.
 */
import { createHash, randomBytes, X509Certificate } from "node:crypto";
import type { KubeClient } from "../../clients/kubernetes/index.ts";
import type { JoinData } from "../../engine/kinds/tenant-cluster/ports.ts";

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
const BOOTSTRAP_GROUP = "system:bootstrappers:kubeadm:default-node-token";

function randomText(n: number): string {
  const bytes = randomBytes(n * 2);
  let out = "";
  for (let i = 0; out.length < n && i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b < 252) out += ALPHABET[b % 36];
  }
  return out.length === n ? out : randomText(n);
}

/** kubeadm's `--discovery-token-ca-cert-hash`: sha256 of the CA's SubjectPublicKeyInfo. */
export function caCertHash(caPem: string | Buffer): string {
  const spki = new X509Certificate(caPem).publicKey.export({ type: "spki", format: "der" });
  return `sha256:${createHash("sha256").update(spki).digest("hex")}`;
}

interface TokenSecret {
  metadata: { name: string; labels?: Record<string, string> };
  data?: Record<string, string>;
}

/** A valid Bosun bootstrap token in the tenant (at least an hour left), or a new one. */
export async function bootstrapToken(
  tenant: KubeClient,
  tenantKey: string,
  ttlHours: number,
  now: Date,
  signal: AbortSignal,
): Promise<string> {
  const list = await tenant.list("v1", "Secret", {
    namespace: "kube-system",
    labelSelector: "app.kubernetes.io/managed-by=bosun",
    signal,
  });
  for (const s of list.items as unknown as TokenSecret[]) {
    const d = s.data ?? {};
    const dec = (k: string): string => Buffer.from(d[k] ?? "", "base64").toString();
    const expires = Date.parse(dec("expiration"));
    if (dec("usage-bootstrap-authentication") === "true" && expires - now.getTime() > 3_600_000)
      return `${dec("token-id")}.${dec("token-secret")}`;
  }
  const id = randomText(6);
  const secret = randomText(16);
  await tenant.create(
    {
      apiVersion: "v1",
      kind: "Secret",
      type: "bootstrap.kubernetes.io/token",
      metadata: {
        name: `bootstrap-token-${id}`,
        namespace: "kube-system",
        labels: { "app.kubernetes.io/managed-by": "bosun" },
      },
      stringData: {
        description: `Bosun: joins the workers of TenantCluster ${tenantKey}`,
        "token-id": id,
        "token-secret": secret,
        expiration: new Date(now.getTime() + ttlHours * 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z"),
        "usage-bootstrap-authentication": "true",
        "usage-bootstrap-signing": "true",
        "auth-extra-groups": BOOTSTRAP_GROUP,
      },
    },
    { fieldManager: "bosun", signal },
  );
  return `${id}.${secret}`;
}

/** The worker's `#cloud-config` user data (holds the token: written 0600, never logged). */
export function joinUserData(join: JoinData, nodeName: string): string {
  return [
    "#cloud-config",
    `hostname: ${nodeName}`,
    "runcmd:",
    `  - kubeadm join ${join.endpoint} --token ${join.token} --discovery-token-ca-cert-hash ${join.caCertHash} --node-name ${nodeName}`,
    "",
  ].join("\n");
}
