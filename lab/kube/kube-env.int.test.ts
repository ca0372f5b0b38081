import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import { loadKubeConfig } from "../../clients/kubernetes/config.ts";
import { KubeClient as Client } from "../../clients/kubernetes/client.ts";
import { createTestNamespace, kubeClient, kubeConnection, type TestNamespace } from "../../test/support/kube.ts";
import { ensureKubeBinaries } from "./kube-env.ts";

const run = promisify(execFile);

describe("lab kube environment", () => {
  let client: KubeClient;
  let ns: TestNamespace;
  beforeAll(async () => {
    client = kubeClient();
    ns = await createTestNamespace(client, "env");
  });
  afterAll(async () => {
    await ns.cleanup();
    client.close();
  });

  it("serves kube-apiserver v1.20.2 on a loopback address with a CA-verified kubeconfig", async () => {
    const conn = kubeConnection();
    expect(new URL(conn.server).hostname).toBe("127.0.0.1");
    const kubeconfig = await readFile(conn.kubeconfigPath, "utf8");
    expect(kubeconfig).toContain("certificate-authority:");
    expect(kubeconfig).not.toContain("insecure-skip-tls-verify");
    const version = await client.rest.request<{ gitVersion: string }>({ method: "GET", path: "/version" });
    expect(version.gitVersion).toBe("v1.20.2");
  });

  it("rejects a wrong token (token auth) and TLS against another CA", async () => {
    const conn = kubeConnection();
    const kc = loadKubeConfig({ kubeconfigPath: conn.kubeconfigPath });
    kc.users[0] = { ...kc.users[0]!, token: "not-the-token" };
    const bad = new Client(kc);
    await expect(bad.rest.request({ method: "GET", path: "/api/v1/namespaces" })).rejects.toMatchObject({
      statusCode: 401,
    });
    bad.close();
    const kc2 = loadKubeConfig({ kubeconfigPath: conn.kubeconfigPath });
    kc2.clusters[0] = { ...kc2.clusters[0]!, caFile: "/etc/ssl/certs/ca-certificates.crt" };
    const wrongCa = new Client(kc2);
    await expect(wrongCa.rest.request({ method: "GET", path: "/version" })).rejects.toMatchObject({
      reason: "ConnectionFailed",
    });
    wrongCa.close();
  });

  it("kubectl works against it", async () => {
    const { stdout } = await run("kubectl", ["get", "namespace", ns.name, "-o", "name"], {
      env: { ...process.env, KUBECONFIG: kubeConnection().kubeconfigPath },
    });
    expect(stdout.trim()).toBe(`namespace/${ns.name}`);
  });

  it("controller-manager runs: a ServiceAccount gets its token secret", async () => {
    await client.create({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "probe", namespace: ns.name } });
    for (;;) {
      const sa = await client.get({ apiVersion: "v1", kind: "ServiceAccount", namespace: ns.name, name: "probe" });
      const secrets = (sa?.["secrets"] ?? []) as Array<{ name: string }>;
      if (secrets.length > 0) {
        expect(secrets[0]?.name).toMatch(/^probe-token-/);
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  it("signs an approved CSR with the lab CA (csrsigning) for kube-apiserver-client", async () => {
    const name = `csr-${ns.name}`;
    const dir = await mkdtemp(join(tmpdir(), "csr-"));
    await run("openssl", ["genrsa", "-out", join(dir, "k.pem"), "2048"]);
    const { stdout: csrPem } = await run("openssl", [
      "req",
      "-new",
      "-key",
      join(dir, "k.pem"),
      "-subj",
      "/CN=device:tor1-01/O=bosun:devices",
    ]);
    await rm(dir, { recursive: true, force: true });
    await client.create({
      apiVersion: "certificates.k8s.io/v1",
      kind: "CertificateSigningRequest",
      metadata: { name },
      spec: {
        request: Buffer.from(csrPem).toString("base64"),
        signerName: "kubernetes.io/kube-apiserver-client",
        usages: ["client auth"],
      },
    } as never);
    const csr = await client.get({ apiVersion: "certificates.k8s.io/v1", kind: "CertificateSigningRequest", name });
    await client.rest.request({
      method: "PUT",
      path: `/apis/certificates.k8s.io/v1/certificatesigningrequests/${name}/approval`,
      body: {
        ...csr,
        status: { conditions: [{ type: "Approved", status: "True", reason: "Test", message: "approved by test" }] },
      },
    });
    for (;;) {
      const signed = await client.get({
        apiVersion: "certificates.k8s.io/v1",
        kind: "CertificateSigningRequest",
        name,
      });
      const cert = (signed?.["status"] as { certificate?: string } | undefined)?.certificate;
      if (cert !== undefined) {
        expect(Buffer.from(cert, "base64").toString("utf8")).toContain("BEGIN CERTIFICATE");
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await client.delete({ apiVersion: "certificates.k8s.io/v1", kind: "CertificateSigningRequest", name });
  });

  it("authenticates bootstrap tokens (--enable-bootstrap-token-auth)", async () => {
    const id = ns.name
      .slice(-6)
      .replace(/[^a-z0-9]/g, "a")
      .padStart(6, "b");
    await client.create({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: `bootstrap-token-${id}`, namespace: "kube-system" },
      type: "bootstrap.kubernetes.io/token",
      stringData: {
        "token-id": id,
        "token-secret": "0123456789abcdef",
        "usage-bootstrap-authentication": "true",
        "auth-extra-groups": "system:bootstrappers:bosun",
      },
    });
    const kc = loadKubeConfig({ kubeconfigPath: kubeConnection().kubeconfigPath });
    kc.users[0] = { ...kc.users[0]!, token: `${id}.0123456789abcdef` };
    const boot = new Client(kc);
    // Authenticated (403, not 401) as system:bootstrap:<id>, which RBAC does not let list namespaces.
    await expect(boot.rest.request({ method: "GET", path: "/api/v1/namespaces" })).rejects.toMatchObject({
      statusCode: 403,
      message: expect.stringContaining(`system:bootstrap:${id}`),
    });
    boot.close();
    await client.delete({ apiVersion: "v1", kind: "Secret", namespace: "kube-system", name: `bootstrap-token-${id}` });
  });

  it("ensureKubeBinaries is a no-op once the binaries are cached", async () => {
    const lines: string[] = [];
    const bins = await ensureKubeBinaries({ onProgress: (l) => lines.push(l) });
    expect(bins.kubeApiServer).toMatch(/kube-v1\.20\.2\/bin\/kube-apiserver$/);
    expect(lines).toEqual([]);
  });
});
