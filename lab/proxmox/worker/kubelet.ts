/**
 * The simulated worker's kubeadm join + kubelet, against a real kube-apiserver:
 *
 * 1. discovery as kubeadm does with a bootstrap token: read `kube-public/cluster-info` without
 *    trusting the server yet, check the `jws-kubeconfig-<token-id>` signature (HS256 with the
 *    token secret) and pin the CA's public key against `--discovery-token-ca-cert-hash`;
 * 2. kubelet TLS bootstrap: with the bootstrap token, a CertificateSigningRequest for
 *    `system:node:<name>` / `system:nodes` (signer `kubernetes.io/kube-apiserver-client-kubelet`),
 *    approved (kube-controller-manager's csrapproving, given kubeadm's RBAC) and signed (csrsigning);
 *    the key and certificate are kept on the VM's disk, so a reboot re-uses them;
 * 3. with that certificate: the Node registered (capacity from the VM's cores/memory, providerID
 *    `proxmox://lab/<vmid>`), its Lease in `kube-node-lease` renewed every heartbeat, its status
 *    (Ready) posted; on a graceful stop it posts Ready=False "node is shutting down".
 *
 * The CSR code (key, PKCS#10) is agent/identity's; the REST client is agent/kube's.
 */
import { createHash, createHmac, randomBytes, X509Certificate } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { release } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { buildCsr, generateDeviceKey } from "../../../agent/identity/csr.ts";
import { KubeClient, isStatus } from "../../../agent/kube/client.ts";
import { readBody, request } from "../../../agent/net/request.ts";
import type { JoinCommand } from "./cloud-init.ts";

export const KUBELET_SIGNER = "kubernetes.io/kube-apiserver-client-kubelet";
const CSR_PATH = "/apis/certificates.k8s.io/v1/certificatesigningrequests";

export interface KubeletOptions {
  readonly join: JoinCommand;
  readonly nodeName: string;
  readonly vmid: number;
  readonly cores: number;
  readonly memoryMiB: number;
  /** The VM's disk: the kubelet keeps its key and certificate here. */
  readonly pkiDir: string;
  readonly heartbeatMs: number;
  readonly log: (message: string, fields?: Record<string, unknown>) => void;
  readonly internalIP?: string;
  /** Changes with every boot (nodeInfo.bootID). */
  readonly bootId: string;
  /** CSR poll interval (default 500 ms). */
  readonly pollMs?: number;
}

export class JoinError extends Error {
  override readonly name = "JoinError";
}

/** `sha256:<hex>` of a certificate's SubjectPublicKeyInfo, as kubeadm's --discovery-token-ca-cert-hash. */
export function caCertHash(caPem: string): string {
  const spki = new X509Certificate(caPem).publicKey.export({ type: "spki", format: "der" });
  return `sha256:${createHash("sha256").update(spki).digest("hex")}`;
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString("base64url");

/** kubeadm's token discovery: the pinned CA and the server of `kube-public/cluster-info`. */
export async function discoverCluster(
  join: JoinCommand,
  signal?: AbortSignal,
): Promise<{ server: string; ca: string }> {
  const [tokenId, tokenSecret] = join.token.split(".") as [string, string];
  const url = `https://${join.endpoint}/api/v1/namespaces/kube-public/configmaps/cluster-info`;
  // Not trusted yet: the answer is checked by its JWS signature and the CA pin below, as kubeadm does.
  const res = await request(url, {
    tls: { insecureSkipVerify: true },
    ...(signal ? { signal } : {}),
    timeoutMs: 10_000,
  });
  const text = await readBody(res);
  if (res.statusCode !== 200)
    throw new JoinError(`cluster-info from ${join.endpoint}: HTTP ${res.statusCode ?? 0} ${text.slice(0, 200)}`);
  const data = ((JSON.parse(text) as { data?: Record<string, string> }).data ?? {}) as Record<string, string>;
  const kubeconfig = data["kubeconfig"];
  const jws = data[`jws-kubeconfig-${tokenId}`];
  if (!kubeconfig) throw new JoinError(`cluster-info from ${join.endpoint} has no kubeconfig`);
  if (!jws)
    throw new JoinError(
      `cluster-info from ${join.endpoint} is not signed for token ${tokenId} (no such bootstrap token, or the bootstrapsigner has not signed it yet)`,
    );
  const [header, , signature] = jws.split(".");
  const expected = createHmac("sha256", tokenSecret)
    .update(`${header}.${b64url(kubeconfig)}`)
    .digest("base64url");
  if (signature !== expected) throw new JoinError(`cluster-info signature does not match token ${tokenId}`);
  const doc = parse(kubeconfig) as { clusters?: { cluster?: Record<string, string> }[] };
  const cluster = doc.clusters?.[0]?.cluster ?? {};
  const caData = cluster["certificate-authority-data"];
  const server = cluster["server"];
  if (!caData || !server) throw new JoinError("cluster-info kubeconfig lacks the CA or the server");
  const ca = Buffer.from(caData, "base64").toString("utf8");
  const pin = caCertHash(ca);
  if (!join.caCertHashes.includes(pin))
    throw new JoinError(`cluster CA pin ${pin} matches none of --discovery-token-ca-cert-hash`);
  return { server, ca };
}

interface Csr {
  status?: { certificate?: string; conditions?: { type: string; reason?: string; message?: string }[] };
}

/** TLS bootstrap: the kubelet client certificate (kept in pkiDir), requested with the bootstrap token. */
export async function kubeletCertificate(
  o: KubeletOptions,
  cluster: { server: string; ca: string },
  signal: AbortSignal,
): Promise<{ cert: string; key: string }> {
  const certFile = join(o.pkiDir, "kubelet-client.crt");
  const keyFile = join(o.pkiDir, "kubelet-client.key");
  const stored = await Promise.all([readFile(certFile, "utf8"), readFile(keyFile, "utf8")]).catch(() => undefined);
  if (stored && new Date(new X509Certificate(stored[0]).validTo).getTime() > Date.now() + 60_000) {
    o.log("using the kubelet client certificate on disk");
    return { cert: stored[0], key: stored[1] };
  }
  const bootstrap = new KubeClient({ server: cluster.server, tls: { ca: cluster.ca }, token: o.join.token });
  try {
    const k = generateDeviceKey();
    const csrPem = buildCsr(
      { commonName: `system:node:${o.nodeName}`, organization: "system:nodes" },
      k.privateKey,
      k.publicKey,
    );
    const name = `node-csr-${randomBytes(8).toString("hex")}`;
    await bootstrap.json(
      "POST",
      CSR_PATH,
      {
        apiVersion: "certificates.k8s.io/v1",
        kind: "CertificateSigningRequest",
        metadata: { name },
        spec: {
          request: Buffer.from(csrPem).toString("base64"),
          signerName: KUBELET_SIGNER,
          usages: ["digital signature", "key encipherment", "client auth"],
        },
      },
      { signal },
    );
    o.log("certificate signing request created", { csr: name });
    for (;;) {
      const csr = await bootstrap.json<Csr>("GET", `${CSR_PATH}/${name}`, undefined, { signal });
      const refused = csr.status?.conditions?.find((c) => c.type === "Denied" || c.type === "Failed");
      if (refused) throw new JoinError(`CSR ${name} ${refused.type}: ${refused.reason ?? ""} ${refused.message ?? ""}`);
      if (csr.status?.certificate) {
        const cert = Buffer.from(csr.status.certificate, "base64").toString("utf8");
        await mkdir(o.pkiDir, { recursive: true, mode: 0o700 });
        await writeFile(`${keyFile}.tmp`, k.privateKeyPem, { mode: 0o600 });
        await writeFile(`${certFile}.tmp`, cert);
        await rename(`${keyFile}.tmp`, keyFile);
        await rename(`${certFile}.tmp`, certFile);
        o.log("kubelet client certificate issued", { csr: name });
        return { cert, key: k.privateKeyPem };
      }
      await sleepUnless(o.pollMs ?? 500, signal);
    }
  } finally {
    bootstrap.close();
  }
}

function microTime(ms = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

function sleepUnless(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

function conditions(ready: boolean, now: string, message?: string): Record<string, string>[] {
  const ok = (type: string, reason: string, msg: string): Record<string, string> => ({
    type,
    status: "False",
    reason,
    message: msg,
    lastHeartbeatTime: now,
  });
  return [
    ok("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    ok("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ok("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    {
      type: "Ready",
      status: ready ? "True" : "False",
      reason: ready ? "KubeletReady" : "KubeletNotReady",
      message: message ?? (ready ? "kubelet is posting ready status" : "kubelet is not ready"),
      lastHeartbeatTime: now,
    },
  ];
}

/**
 * Joins and heart-beats until `signal` aborts; then, when `graceful()` says so, posts NotReady.
 * Errors before the node is registered are retried every 2 s (kubelet keeps trying) and logged.
 */
export async function runKubelet(o: KubeletOptions, signal: AbortSignal, graceful: () => boolean): Promise<void> {
  let client: KubeClient | undefined;
  while (!signal.aborted && !client) {
    try {
      const cluster = await discoverCluster(o.join, signal);
      const { cert, key } = await kubeletCertificate(o, cluster, signal);
      client = new KubeClient({ server: cluster.server, tls: { ca: cluster.ca, cert, key } });
      await register(client, o, signal);
    } catch (e) {
      client?.close();
      client = undefined;
      if (signal.aborted) break;
      o.log("join failed; retrying in 2 s", { error: e instanceof Error ? e.message : String(e) });
      await sleepUnless(2000, signal);
    }
  }
  if (!client) return;
  try {
    let beats = 0;
    while (!signal.aborted) {
      try {
        await renewLease(client, o, signal);
        if (beats % 6 === 0) await postStatus(client, o, true, signal);
        beats++;
      } catch (e) {
        if (signal.aborted) break;
        o.log("heartbeat failed", { error: e instanceof Error ? e.message : String(e) });
      }
      await sleepUnless(o.heartbeatMs, signal);
    }
    if (graceful()) {
      await postStatus(client, o, false, AbortSignal.timeout(5000), "node is shutting down").catch(() => undefined);
      o.log("posted NotReady: node is shutting down");
    }
  } finally {
    client.close();
  }
}

async function register(client: KubeClient, o: KubeletOptions, signal: AbortSignal): Promise<void> {
  const version = await client.json<{ gitVersion?: string }>("GET", "/version", undefined, { signal });
  const node = {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: o.nodeName,
      labels: {
        "kubernetes.io/hostname": o.nodeName,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "node.kubernetes.io/instance-type": `${o.cores}c-${o.memoryMiB}mi`,
      },
    },
    spec: { providerID: `proxmox://lab/${o.vmid}` },
  };
  try {
    await client.json("POST", "/api/v1/nodes", node, { signal });
    o.log("node registered", { node: o.nodeName });
  } catch (e) {
    if (!isStatus(e, 409)) throw e;
    o.log("node already registered", { node: o.nodeName });
  }
  kubeletVersions.set(o.nodeName, version.gitVersion ?? "v0.0.0");
  await postStatus(client, o, true, signal);
}

const kubeletVersions = new Map<string, string>();

async function postStatus(
  client: KubeClient,
  o: KubeletOptions,
  ready: boolean,
  signal: AbortSignal,
  message?: string,
): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  const capacity = { cpu: String(o.cores), memory: `${o.memoryMiB}Mi`, pods: "110" };
  const status = {
    capacity,
    allocatable: capacity,
    conditions: conditions(ready, now, message),
    addresses: [
      { type: "Hostname", address: o.nodeName },
      ...(o.internalIP ? [{ type: "InternalIP", address: o.internalIP }] : []),
    ],
    nodeInfo: {
      machineID: createHash("md5").update(`machine-${o.vmid}`).digest("hex"),
      systemUUID: createHash("md5").update(`uuid-${o.vmid}`).digest("hex"),
      bootID: o.bootId,
      kernelVersion: release(),
      osImage: "Bosun lab worker (Proxmox VM)",
      containerRuntimeVersion: "lab://0.0.0",
      kubeletVersion: kubeletVersions.get(o.nodeName) ?? "v0.0.0",
      kubeProxyVersion: "",
      operatingSystem: "linux",
      architecture: "amd64",
    },
  };
  await client.json(
    "PATCH",
    `/api/v1/nodes/${encodeURIComponent(o.nodeName)}/status`,
    { status },
    { contentType: "application/strategic-merge-patch+json", signal },
  );
}

async function renewLease(client: KubeClient, o: KubeletOptions, signal: AbortSignal): Promise<void> {
  const path = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${encodeURIComponent(o.nodeName)}`;
  const spec = { holderIdentity: o.nodeName, leaseDurationSeconds: 40, renewTime: microTime() };
  try {
    const lease = await client.json<{ metadata: Record<string, unknown>; spec?: Record<string, unknown> }>(
      "GET",
      path,
      undefined,
      { signal },
    );
    await client.json("PUT", path, { ...lease, spec: { ...lease.spec, ...spec } }, { signal });
  } catch (e) {
    if (!isStatus(e, 404)) throw e;
    const node = await client.json<{ metadata: { uid: string } }>(
      "GET",
      `/api/v1/nodes/${encodeURIComponent(o.nodeName)}`,
      undefined,
      { signal },
    );
    await client.json(
      "POST",
      "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases",
      {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: {
          name: o.nodeName,
          ownerReferences: [{ apiVersion: "v1", kind: "Node", name: o.nodeName, uid: node.metadata.uid }],
        },
        spec,
      },
      { signal },
    );
  }
}
