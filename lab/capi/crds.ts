/**
 * The CRDs a management cluster needs in the lab: Cluster API's Cluster, MachineDeployment and
 * Machine installed unchanged from `../shared/specs/cluster-api` (v1beta2 storage, v1beta1 served;
 * no conversion webhook is configured in those files, so objects are written as v1beta2), the KVM
 * provider's CRDs (`deploy/crds/infrastructure.cluster.x-k8s.io_kvm*.yaml`), and this folder's
 * stand-ins for the kubeadm control plane and bootstrap providers (`lab/capi/crds/`, not upstream).
 */
import { existsSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { KubeClient } from "../../clients/kubernetes/index.ts";
import { loadManifests, waitEstablished } from "../../sinks/kubernetes/index.ts";

const root = resolve(import.meta.dirname, "../..");

/** `shared/specs` beside the project (BOSUN_SPECS_DIR overrides). */
export function specsDir(): string {
  const fromEnv = process.env["BOSUN_SPECS_DIR"];
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  let dir = root;
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "shared", "specs");
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error("shared/specs not found: set BOSUN_SPECS_DIR to the folder holding the Cluster API CRDs");
}

/** Every CRD file a lab management cluster gets, in install order. */
export function managementCrdFiles(): string[] {
  const capi = join(specsDir(), "cluster-api");
  const deploy = join(root, "deploy/crds");
  const lab = join(import.meta.dirname, "crds");
  return [
    ...readdirSync(capi)
      .filter((f) => f.endsWith(".yaml"))
      .sort()
      .map((f) => join(capi, f)),
    ...readdirSync(deploy)
      .filter((f) => /^infrastructure\.cluster\.x-k8s\.io_kvm.*\.yaml$/.test(f))
      .sort()
      .map((f) => join(deploy, f)),
    ...readdirSync(lab)
      .filter((f) => f.endsWith(".yaml"))
      .sort()
      .map((f) => join(lab, f)),
  ];
}

/** Installs them (server-side apply) and waits until each is Established. */
export async function installManagementCrds(client: KubeClient, signal?: AbortSignal): Promise<string[]> {
  const names: string[] = [];
  for (const file of managementCrdFiles()) {
    for (const crd of await loadManifests(file)) {
      await client.apply(crd as never, { fieldManager: "bosun-lab", force: true, ...(signal ? { signal } : {}) });
      names.push(crd.metadata.name);
    }
  }
  for (const name of names) await waitEstablished(client, name, signal);
  return names;
}
