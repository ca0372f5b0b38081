/**
 * The CSR approver against the lab kube-apiserver (kube-controller-manager signs, nobody else
 * approves): a bootstrap-token agent for a device in the inventory (a SOC object) gets its
 * certificate through the approver alone; a CSR for a device the inventory does not know is denied.
 */
import { randomBytes, X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../log.ts";
import { isStatus, type KubeClient } from "../kube/client.ts";
import { renderSharedRbac } from "../../engine/kinds/device-process/agent-rbac.ts";
import {
  adminClient,
  createNamespace,
  deleteNamespace,
  ensureCrd,
  kubeConn,
  removeDir,
  startAgent,
  tempDir,
  waitFor,
  type AgentProc,
} from "../testing/harness.ts";
import type { Review } from "./approver.ts";
import { CSR_PATH, runCsrApprover, type Csr } from "./csr-approver.ts";
import { DeviceIdentity } from "./identity.ts";

describe("CSR approver", () => {
  let admin: KubeClient;
  let ns = "";
  let dir = "";
  let agent: AgentProc | undefined;
  const stop = new AbortController();
  let approver: Promise<void> | undefined;
  const decisions = new Map<string, Review>();
  const known = `dev-ok-${randomBytes(2).toString("hex")}`;
  const unknown = `dev-ghost-${randomBytes(2).toString("hex")}`;
  const tokenId = randomBytes(3).toString("hex");
  const tokenSecret = randomBytes(8).toString("hex");

  beforeAll(async () => {
    admin = await adminClient();
    await ensureCrd(admin, "azure.com_socs.yaml", "socs.azure.com", "/apis/azure.com/v1alpha1/socs");
    ns = await createNamespace(admin, "agent-approver");
    dir = await tempDir("bosun-agent-approver-");
    await admin.json("POST", `/apis/azure.com/v1alpha1/namespaces/${ns}/socs`, {
      apiVersion: "azure.com/v1alpha1",
      kind: "SOC",
      metadata: { name: known, namespace: ns },
      spec: { model: "lab" },
    });
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
    for (const o of renderSharedRbac()) {
      const plural = `${(o["kind"] as string).toLowerCase()}s`;
      await admin.json("POST", `/apis/rbac.authorization.k8s.io/v1/${plural}`, o).catch((e: unknown) => {
        if (!isStatus(e, 409)) throw e;
      });
    }
    approver = runCsrApprover({
      client: admin,
      log: silentLogger,
      signal: stop.signal,
      onDecision: (name, r) => decisions.set(name, r),
    });
  });

  afterAll(async () => {
    stop.abort();
    await approver;
    await agent?.stop("SIGKILL");
    await admin
      .json("DELETE", `/api/v1/namespaces/kube-system/secrets/bootstrap-token-${tokenId}`)
      .catch(() => undefined);
    if (ns) await deleteNamespace(admin, ns);
    admin?.close();
    if (dir) await removeDir(dir);
  });

  const csrsOf = async (device: string): Promise<Csr[]> =>
    (
      await admin.json<{ items: Csr[] }>(
        "GET",
        `${CSR_PATH}?labelSelector=${encodeURIComponent(`bosun.dev/device=${device}`)}`,
      )
    ).items;

  it("approves the bootstrap CSR of a device in the inventory: the agent gets its certificate without anyone approving by hand", async () => {
    agent = await startAgent(
      [
        "--device",
        known,
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
        "--lease-interval",
        "1",
      ],
      dir,
    );
    const certPem = await waitFor("the device certificate", async () =>
      readFile(join(dir, "state/pki/device.crt")).catch(() => undefined),
    );
    expect(new X509Certificate(certPem).subject).toContain(`CN=bosun-device:${known}`);
    const [csr, ...more] = await csrsOf(known);
    expect(more).toEqual([]);
    expect(csr?.status?.conditions).toEqual([
      expect.objectContaining({
        type: "Approved",
        status: "True",
        reason: "BosunDeviceApproved",
        message: "bootstrap token for a known device",
      }),
    ]);
    expect(decisions.get(csr?.metadata.name ?? "")).toMatchObject({ approve: true, device: known });
    expect(csr?.status?.certificate).toBeTruthy();
  });

  it("denies the CSR of a device the inventory does not know, with the reason", async () => {
    const identity = new DeviceIdentity({
      device: unknown,
      server: kubeConn().server,
      ca: await readFile(kubeConn().caFile),
      bootstrapToken: `${tokenId}.${tokenSecret}`,
      certDir: join(dir, "ghost-pki"),
      log: silentLogger,
      pollMs: 200,
    });
    const err = await identity.ensure().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as Error).message).toContain("was denied");
    expect((err as Error).message).toContain(`unknown device ${unknown}`);
    const [csr] = await csrsOf(unknown);
    expect(csr?.status?.conditions).toEqual([
      expect.objectContaining({
        type: "Denied",
        status: "True",
        reason: "BosunDeviceDenied",
        message: `unknown device ${unknown}`,
      }),
    ]);
    expect(csr?.status?.certificate).toBeFalsy();
  });
});
