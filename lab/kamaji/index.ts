/**
 * The lab Kamaji: Kamaji's TenantControlPlane CRD (made installable on v1.20, crd.ts), its version
 * webhook (webhook.ts) and a controller running one real tenant kube-apiserver (+ controller-manager)
 * per TenantControlPlane (controller.ts). See docs/tenant-clusters.md.
 *
 *   const kamaji = await startLabKamaji({ kube: inject("kube") });   // or { client, etcdUrl }
 *   …
 *   await kamaji.stop();   // stops every tenant control plane it started, removes its webhook
 */
import { readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeClient } from "../../clients/kubernetes/index.ts";
import { loadKubeConfig } from "../../clients/kubernetes/config.ts";
import type { KubeConnection } from "../kube/kube-env.ts";
import { pidRunning, stopPid } from "../kube/proc.ts";
import { readState } from "../kube/state.ts";
import { installKamajiCrd, type Kube120Crd } from "./crd.ts";
import { LabKamaji, labKamajiWorkDir } from "./controller.ts";
import { startLabKamajiWatchdog } from "./watchdog.ts";
import { startVersionWebhook } from "./webhook.ts";

export { crdForKube120, installKamajiCrd, readUpstreamTcpCrd, TCP_API_VERSION, TCP_CRD_NAME, TCP_KIND } from "./crd.ts";
export { KAMAJI_FINALIZER, LabKamaji } from "./controller.ts";
export { KamajiLabError } from "./errors.ts";
export { caCertHash } from "./tenant-pki.ts";
export { BOOTSTRAP_GROUP } from "./tenant-setup.ts";
export { parseKubeVersion, refuseOnCreate, refuseOnUpdate } from "./version-policy.ts";
export { WEBHOOK_NAME } from "./webhook.ts";
export { startDemoTenants, type DemoTenants } from "./demo.ts";
export { startLabKamajiWatchdog } from "./watchdog.ts";

/** The newest Kubernetes minor the lab Kamaji accepts (Kamaji 26.8.2-edge ships kubeadm v1.35). */
export const KAMAJI_SUPPORTED_VERSION = "v1.35.0";

export interface StartLabKamajiOptions {
  /** The parent cluster: the lab kube env's connection, or a client plus its etcd URL. */
  readonly kube: KubeConnection | { readonly client: KubeClient; readonly etcdUrl: string };
  readonly sharedApiServer?: boolean;
  readonly supportedVersion?: string;
  readonly pollMs?: number;
  readonly log?: (line: string) => void;
  readonly signal?: AbortSignal;
}

export interface RunningLabKamaji {
  readonly controller: LabKamaji;
  readonly crd: Kube120Crd;
  readonly workDir: string;
  stop(): Promise<void>;
}

/** Stops tenant control planes of lab Kamajis whose owner process is gone (a crashed test run). */
export async function reapStaleLabKamaji(): Promise<void> {
  for (const name of await readdir(tmpdir()).catch(() => [] as string[])) {
    if (!name.startsWith("bosun-kamaji-")) continue;
    const dir = join(tmpdir(), name);
    const text = await readFile(join(dir, "state.json"), "utf8").catch(() => undefined);
    if (text === undefined) continue;
    const state = JSON.parse(text) as {
      ownerPid: number;
      processes: { apiserverPid: number; controllerManagerPid: number }[];
    };
    if (pidRunning(state.ownerPid, "")) continue;
    for (const p of state.processes) {
      await stopPid(p.controllerManagerPid, "kube-controller-manager", 2_000);
      await stopPid(p.apiserverPid, "kube-apiserver", 2_000);
    }
    await rm(dir, { recursive: true, force: true });
  }
}

export async function startLabKamaji(opts: StartLabKamajiOptions): Promise<RunningLabKamaji> {
  const signal = opts.signal ?? new AbortController().signal;
  await reapStaleLabKamaji();
  let client: KubeClient;
  let etcdUrl: string;
  let ownClient = false;
  if ("client" in opts.kube) {
    client = opts.kube.client;
    etcdUrl = opts.kube.etcdUrl;
  } else {
    client = new KubeClient(loadKubeConfig({ kubeconfigPath: opts.kube.kubeconfigPath }));
    ownClient = true;
    etcdUrl = `http://127.0.0.1:${(await readState(opts.kube.workDir)).etcdPort}`;
  }
  const workDir = await labKamajiWorkDir();
  const watchdog = startLabKamajiWatchdog(workDir);
  const stopWatchdog = (): void => {
    try {
      if (watchdog !== undefined) process.kill(watchdog, "SIGTERM");
    } catch {
      // already gone
    }
  };
  try {
    const crd = await installKamajiCrd(client, signal);
    const webhook = await startVersionWebhook(
      client,
      workDir,
      opts.supportedVersion ?? KAMAJI_SUPPORTED_VERSION,
      signal,
    );
    const controller = new LabKamaji({
      client,
      etcdUrl,
      workDir,
      ...(opts.sharedApiServer !== undefined ? { sharedApiServer: opts.sharedApiServer } : {}),
      ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}),
      ...(opts.log ? { log: opts.log } : {}),
    });
    controller.start();
    return {
      controller,
      crd,
      workDir,
      async stop() {
        await controller.stop();
        await webhook.close(AbortSignal.timeout(10_000));
        if (ownClient) client.close();
        stopWatchdog();
        await rm(workDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    stopWatchdog();
    if (ownClient) client.close();
    await rm(workDir, { recursive: true, force: true });
    throw e;
  }
}
