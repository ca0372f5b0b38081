/**
 * bootstrap token → CSR → client certificate against the lab kube-apiserver (bootstrap-token auth
 * on, kube-controller-manager signing with the lab CA). The test plays the approver (as the engine
 * would, with reviewDeviceCsr). The agent then runs a DeviceProcess with its certificate and the
 * per-device RBAC, and cannot touch another device's objects.
 */
import { randomBytes, X509Certificate } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../log.ts";
import { KubeClient, isStatus } from "../kube/client.ts";
import { renderDeviceRbac, renderSharedRbac } from "../../engine/kinds/device-process/agent-rbac.ts";
import { startArtifactServer, type ArtifactServer } from "../testing/artifact-server.ts";
import {
  adminClient,
  createDp,
  createNamespace,
  deleteNamespace,
  dpPath,
  ensureDeviceProcessCrd,
  killAll,
  kubeConn,
  pidsWith,
  removeDir,
  startAgent,
  tempDir,
  waitFor,
  waitForStatus,
  type AgentProc,
} from "../testing/harness.ts";
import { reviewDeviceCsr, type CsrObject } from "./approver.ts";
import { DeviceIdentity } from "./identity.ts";

const CSR_PATH = "/apis/certificates.k8s.io/v1/certificatesigningrequests";

async function createOrKeep(client: KubeClient, path: string, obj: Record<string, unknown>): Promise<void> {
  try {
    await client.json("POST", path, obj);
  } catch (err) {
    if (!isStatus(err, 409)) throw err;
  }
}

async function applyRbac(client: KubeClient, objs: Record<string, unknown>[]): Promise<void> {
  for (const o of objs) {
    const ns = (o["metadata"] as { namespace?: string }).namespace;
    const plural = `${(o["kind"] as string).toLowerCase()}s`;
    await createOrKeep(client, `/apis/rbac.authorization.k8s.io/v1${ns ? `/namespaces/${ns}` : ""}/${plural}`, o);
  }
}

/** Approves pending CSRs of `device` that pass review; returns the names approved. */
async function approvePending(client: KubeClient, device: string): Promise<string[]> {
  const list = await client.json<{
    items: (CsrObject & { metadata: { name: string }; status?: { conditions?: unknown[] } })[];
  }>("GET", `${CSR_PATH}?labelSelector=${encodeURIComponent(`bosun.dev/device=${device}`)}`);
  const approved: string[] = [];
  for (const csr of list.items) {
    if (csr.status?.conditions?.length) continue;
    const review = reviewDeviceCsr(csr, (d) => d === device);
    if (!review.approve) throw new Error(`CSR ${csr.metadata.name} refused: ${review.reason}`);
    await client.json("PUT", `${CSR_PATH}/${csr.metadata.name}/approval`, {
      ...csr,
      status: {
        conditions: [{ type: "Approved", status: "True", reason: "BosunDeviceApproved", message: review.reason }],
      },
    });
    approved.push(csr.metadata.name);
  }
  return approved;
}

describe("device identity: bootstrap token → CSR → client certificate", () => {
  let admin: KubeClient;
  let srv: ArtifactServer;
  let ns = "";
  let dir = "";
  let agent: AgentProc | undefined;
  const device = `dev-id-${randomBytes(2).toString("hex")}`;
  const tokenId = randomBytes(3).toString("hex");
  const tokenSecret = randomBytes(8).toString("hex");
  const marker = `bosun-marker-${randomBytes(4).toString("hex")}`;

  beforeAll(async () => {
    admin = await adminClient();
    await ensureDeviceProcessCrd(admin);
    srv = await startArtifactServer();
    ns = await createNamespace(admin, "agent-identity");
    dir = await tempDir("bosun-agent-identity-");
    await admin.json("POST", "/api/v1/namespaces/kube-system/secrets", {
      apiVersion: "v1",
      kind: "Secret",
      type: "bootstrap.kubernetes.io/token",
      metadata: { name: `bootstrap-token-${tokenId}`, namespace: "kube-system" },
      stringData: {
        "token-id": tokenId,
        "token-secret": tokenSecret,
        "usage-bootstrap-authentication": "true",
        "auth-extra-groups": "system:bootstrappers:bosun-devices",
        expiration: new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, "Z"),
      },
    });
    await applyRbac(admin, renderSharedRbac());
    await applyRbac(admin, renderDeviceRbac({ device, namespace: ns, deviceProcesses: ["mine"] }));
  });

  afterAll(async () => {
    await agent?.stop("SIGKILL");
    await killAll(marker);
    await admin
      .json("DELETE", `/api/v1/namespaces/kube-system/secrets/bootstrap-token-${tokenId}`)
      .catch(() => undefined);
    await srv?.close();
    if (ns) await deleteNamespace(admin, ns);
    admin?.close();
    if (dir) await removeDir(dir);
  });

  it("gets a certificate for CN bosun-device:<device> with a locally generated key, and runs its DeviceProcess with it", async () => {
    const sum = srv.put("app", `#!/bin/sh\ntrap 'exit 0' TERM\nwhile true; do sleep 0.2; done\n`);
    await createDp(admin, ns, "mine", device, {
      artifact: { type: "http", url: `${srv.url}/files/app`, checksumSHA256: sum, version: "v1" },
      execution: { backend: "exec", command: ["/bin/sh", "$(BOSUN_ARTIFACT)", marker] },
    });
    await createDp(admin, ns, "theirs", "other-device", {
      artifact: { type: "http", url: `${srv.url}/files/app`, checksumSHA256: sum },
      execution: { backend: "exec", command: ["/bin/true"] },
    });

    agent = await startAgent(
      [
        "--device",
        device,
        "--server",
        kubeConn().server,
        "--ca-file",
        kubeConn().caFile,
        "--bootstrap-token",
        `${tokenId}.${tokenSecret}`,
        "--namespace",
        ns,
        "--state-dir",
        `${dir}/state`,
        "--allow-insecure-http",
        "--monitor-interval",
        "0.5",
        "--lease-interval",
        "1",
      ],
      dir,
    );
    const approved = await waitFor("the agent's CSR", async () => {
      const names = await approvePending(admin, device);
      return names.length > 0 ? names : undefined;
    });
    expect(approved).toHaveLength(1);
    const dp = await waitForStatus(
      admin,
      ns,
      "mine",
      "Running under the device certificate",
      (d) => d.status?.phase === "Running",
    );
    expect(await pidsWith(marker)).toEqual([dp.status?.pid]);

    const certPem = await readFile(join(dir, "state/pki/device.crt"));
    const cert = new X509Certificate(certPem);
    expect(cert.subject).toContain("CN=bosun-device:" + device);
    expect(cert.subject).toContain("O=bosun:devices");
    expect(cert.checkIssued(new X509Certificate(await readFile(kubeConn().caFile)))).toBe(true);
    expect((await stat(join(dir, "state/pki/device.key"))).mode & 0o777).toBe(0o600);
    const csr = await admin.json<{ spec: { username: string; signerName: string } }>(
      "GET",
      `${CSR_PATH}/${approved[0] ?? ""}`,
    );
    expect(csr.spec.username).toBe(`system:bootstrap:${tokenId}`);
    expect(csr.spec.signerName).toBe("kubernetes.io/kube-apiserver-client");
    expect(await agent.logs()).not.toContain(tokenSecret); // never logged

    // The certificate authenticates the device; RBAC gives it its own objects only.
    const asDevice = new KubeClient({
      server: kubeConn().server,
      tls: {
        ca: await readFile(kubeConn().caFile),
        cert: certPem,
        key: await readFile(join(dir, "state/pki/device.key")),
      },
    });
    try {
      await asDevice.json(
        "PATCH",
        `${dpPath(ns, "mine")}/status`,
        { status: { message: "mine" } },
        { contentType: "application/merge-patch+json" },
      );
      const denied = await asDevice
        .json(
          "PATCH",
          `${dpPath(ns, "theirs")}/status`,
          { status: { phase: "Failed" } },
          { contentType: "application/merge-patch+json" },
        )
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(isStatus(denied, 403)).toBe(true);
      expect((denied as Error).message).toContain(
        `User "bosun-device:${device}" cannot patch resource "deviceprocesses/status"`,
      );
      const secret = await asDevice.json("GET", "/api/v1/namespaces/kube-system/secrets").then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isStatus(secret, 403)).toBe(true);
    } finally {
      asDevice.close();
    }
  });

  it("renews the certificate with a new key, authenticated by the current certificate", async () => {
    const identity = new DeviceIdentity({
      device,
      server: kubeConn().server,
      ca: await readFile(kubeConn().caFile),
      certDir: join(dir, "state/pki"),
      log: silentLogger,
      pollMs: 200,
    });
    const current = await identity.stored();
    expect(current).toBeDefined();
    expect(identity.renewalTime(current!.x509)).toBeLessThan(new Date(current!.x509.validTo).getTime());
    const asDevice = new KubeClient({
      server: kubeConn().server,
      tls: { ca: await readFile(kubeConn().caFile), cert: current!.cert, key: current!.key },
    });
    try {
      const renewal = identity.request(asDevice);
      await waitFor("the renewal CSR", async () => (await approvePending(admin, device)).length > 0);
      const renewed = await renewal;
      const next = await identity.stored();
      expect(next?.x509.serialNumber).not.toBe(current?.x509.serialNumber);
      expect(next?.key.equals(current!.key)).toBe(false);
      expect(renewed.tls.cert?.toString()).toBe(next?.cert.toString());
      const list = await admin.json<{ items: { spec: { username: string } }[] }>(
        "GET",
        `${CSR_PATH}?labelSelector=${encodeURIComponent(`bosun.dev/device=${device}`)}`,
      );
      expect(list.items.map((c) => c.spec.username).sort()).toEqual(
        [`bosun-device:${device}`, `system:bootstrap:${tokenId}`].sort(),
      );
    } finally {
      asDevice.close();
    }
  });
});
