/**
 * WorkloadClusters in the demo (`npm start -- --workload-clusters`): the lab's own kube-apiserver becomes
 * management cluster `mgmt-a` (Cluster API's CRDs unchanged, the KVM provider's, lab/capi's stand-ins), lab/capi
 * plays the Cluster API core controllers, and the KVM provider (`bin/bosun-kvm-provider.mjs`) boots each Machine
 * as a libvirt/QEMU domain (TCG, no NIC, memory capped). Returns the engine config's `backends.workloadClusters`.
 * Stopping it stops the provider and the stand-in and removes the domains the demo's namespaces hold.
 */
import { execFile, spawn } from "node:child_process";
import { chmod, mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { KubeClient, loadKubeConfig } from "../../clients/kubernetes/index.ts";
import { LibvirtClient } from "../../clients/libvirt/index.ts";
import { CapiLab } from "./controller.ts";
import { installManagementCrds } from "./crds.ts";

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "../..");
export const DEMO_KVM_HOST = "lab-hv1";

export interface DemoWorkloadClusters {
  readonly backends: { workloadClusters: Record<string, unknown> };
  readonly providerPid: number | undefined;
  stop(): Promise<void>;
}

export async function startDemoWorkloadClusters(
  stateDir: string,
  kubeconfig: string,
  namespaces: readonly string[] = ["clusters"],
): Promise<DemoWorkloadClusters> {
  const install = await run("bash", [join(root, "lab/libvirt/install.sh")], { maxBuffer: 1 << 20 });
  const start = await run("bash", [join(root, "lab/libvirt/start.sh")], { maxBuffer: 1 << 20 });
  const kv = (text: string, key: string): string => {
    const m = new RegExp(`^${key}=(.*)$`, "m").exec(text);
    if (!m?.[1]) throw new Error(`lab/libvirt scripts printed no ${key}`);
    return m[1];
  };
  const uri = kv(start.stdout, "URI");
  const client = new KubeClient(loadKubeConfig({ kubeconfigPath: kubeconfig }));
  await installManagementCrds(client);
  const capi = new CapiLab({ client, intervalMs: 1000 }).start();
  await mkdir(stateDir, { recursive: true });
  await chmod(stateDir, 0o755); // QEMU runs as libvirt-qemu
  const provider = spawn(
    process.execPath,
    [
      join(root, "bin/bosun-kvm-provider.mjs"),
      ...["--kubeconfig", kubeconfig, "--libvirt-uri", uri, "--state-dir", stateDir, "--host-name", DEMO_KVM_HOST],
      ...["--boot-kernel", kv(install.stdout, "KERNEL"), "--boot-initrd", kv(install.stdout, "INITRD")],
      ...["--max-memory-mib", "160", "--domain-type", "qemu", "--listen", "127.0.0.1:0"],
    ],
    { stdio: ["ignore", "ignore", "ignore"], env: { ...process.env, BOSUN_LOG_LEVEL: "warn" } },
  );
  const exited = new Promise<void>((r) => provider.once("exit", () => r()));
  return {
    backends: {
      workloadClusters: {
        managementClusters: [{ name: "mgmt-a", kubeconfig }],
        kvmHosts: [{ name: DEMO_KVM_HOST, uri }],
      },
    },
    providerPid: provider.pid,
    async stop() {
      await capi.stop();
      if (provider.exitCode === null && provider.signalCode === null) provider.kill("SIGTERM");
      await exited;
      const libvirt = new LibvirtClient({ uri });
      for (const d of await libvirt.listDomains().catch(() => []))
        if (namespaces.includes(d.metadata?.["namespace"] ?? ""))
          await libvirt.removeDomain(d.name).catch(() => undefined);
      client.close();
    },
  };
}
