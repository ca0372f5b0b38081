/**
 * The tenant-cluster part of `npm start`: the lab Kamaji (one real tenant apiserver per
 * TenantControlPlane) on the lab's kube env and a lab Proxmox with the nodes and template
 * fleet-repo-example/tenants names (pve-01..03, template 9000 on pve-01), plus the engine config's
 * `backends.tenantClusters` section (the API token in a 0600 file, never inline).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { KubeConnection } from "../kube/kube-env.ts";
import { startLabProxmox, type LabProxmox } from "../proxmox/index.ts";
import { startLabKamaji, type RunningLabKamaji } from "./index.ts";

export interface DemoTenants {
  readonly kamaji: RunningLabKamaji;
  readonly proxmox: LabProxmox;
  readonly backends: { readonly tenantClusters: Record<string, unknown> };
  stop(): Promise<void>;
}

export async function startDemoTenants(
  stateDir: string,
  kube: KubeConnection,
  log?: (line: string) => void,
): Promise<DemoTenants> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const kamaji = await startLabKamaji({ kube, ...(log ? { log } : {}) });
  let proxmox: LabProxmox;
  try {
    proxmox = await startLabProxmox({
      stateDir: join(stateDir, "proxmox"),
      nodes: ["pve-01", "pve-02", "pve-03"].map((name) => ({ name, cores: 16, memoryMiB: 65536 })),
      templates: [{ vmid: 9000, node: "pve-01", name: "k8s-worker-template", disk: "20G" }],
      heartbeatMs: 5000,
    });
  } catch (e) {
    await kamaji.stop();
    throw e;
  }
  const tokenFile = join(stateDir, "pve-token");
  await writeFile(tokenFile, proxmox.tokens.admin.secret, { mode: 0o600 });
  return {
    kamaji,
    proxmox,
    backends: {
      tenantClusters: {
        proxmox: {
          url: proxmox.url,
          caFile: proxmox.caFile,
          token: { id: proxmox.tokens.admin.tokenId, secretFile: tokenFile },
          taskPollMs: 250,
        },
        snippets: { storage: proxmox.snippetVolume("x").split(":")[0], dir: proxmox.snippetsDir },
        shutdownTimeoutSeconds: 30,
      },
    },
    async stop() {
      await proxmox.stop();
      await kamaji.stop();
    },
  };
}
