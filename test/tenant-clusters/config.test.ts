/** `backends.tenantClusters` of the engine config: credentials from env or file only, clear errors. */
import { describe, expect, it } from "vitest";
import { parseTenantClustersConfig } from "../../sinks/tenant-cluster/index.ts";
import { joinUserData } from "../../sinks/tenant-cluster/index.ts";

const base = {
  proxmox: { url: "https://pve-01:8006", token: { id: "bosun@pve!gitops", secretEnv: "PVE_T" } },
  snippets: { storage: "snippets", dir: "/mnt/pve/snippets" },
};

describe("backends.tenantClusters", () => {
  it("reads the token from the environment and applies the defaults", () => {
    const c = parseTenantClustersConfig(base, "engine.yaml", { PVE_T: "uuid-secret" });
    expect(c.proxmox.auth).toEqual({ tokenId: "bosun@pve!gitops", secret: "uuid-secret" });
    expect(c).toMatchObject({ restartBudgetPerNode: 1, shutdownTimeoutSeconds: 60, joinTokenTtlHours: 24 });
    expect(c.proxmox.taskTimeoutMs).toBe(300_000);
  });

  it("names what is wrong and what to do, never echoing a secret", () => {
    const fail = (doc: unknown, env: NodeJS.ProcessEnv = {}): string => {
      try {
        parseTenantClustersConfig(doc, "engine.yaml", env);
      } catch (e) {
        return (e as Error).message;
      }
      return "no error";
    };
    expect(fail(base)).toContain("environment variable PVE_T is not set");
    expect(fail({ ...base, proxmox: { ...base.proxmox, url: "http://pve:8006" } }, { PVE_T: "x" })).toContain(
      "proxmox.url must be https://",
    );
    expect(
      fail({ ...base, proxmox: { url: "https://pve:8006", token: { id: "bosun", secretEnv: "PVE_T" } } }),
    ).toContain("USER@REALM!TOKENID");
    expect(fail({ proxmox: base.proxmox }, { PVE_T: "x" })).toContain("snippets needs storage");
    const both = { ...base, proxmox: { ...base.proxmox, password: { username: "root@pam", passwordEnv: "P" } } };
    expect(fail(both, { PVE_T: "x", P: "y" })).toContain("exactly one of token and password");
    expect(fail(base, { PVE_T: "" })).not.toContain("uuid");
  });

  it("join user data is #cloud-config with kubeadm join (the lab worker's contract)", () => {
    const text = joinUserData(
      { endpoint: "127.77.0.1:6443", token: "abcdef.0123456789abcdef", caCertHash: `sha256:${"a".repeat(64)}` },
      "tenants-acme-w1",
    );
    expect(text.startsWith("#cloud-config\n")).toBe(true);
    expect(text).toContain("hostname: tenants-acme-w1");
    expect(text).toContain(
      `kubeadm join 127.77.0.1:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:${"a".repeat(64)} --node-name tenants-acme-w1`,
    );
  });
});
