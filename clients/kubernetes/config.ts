import { KubeConfig } from "@kubernetes/client-node";

export type KubeConfigSource =
  | { readonly kubeconfigPath: string; readonly context?: string }
  /**
   * The pod's service account: token and CA under `<root>/var/run/secrets/kubernetes.io/serviceaccount`,
   * server from KUBERNETES_SERVICE_HOST/PORT. `root` (default "") stands in for `/` in tests.
   */
  | { readonly inCluster: true; readonly root?: string }
  /** `$KUBECONFIG`, `~/.kube/config`, then in-cluster (client-node's default order). */
  | { readonly default: true };

/** Where a pod's service account credentials are mounted. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** Loads a kubeconfig file, the in-cluster service-account config, or the default chain. */
export function loadKubeConfig(src: KubeConfigSource): KubeConfig {
  const kc = new KubeConfig();
  if ("kubeconfigPath" in src) {
    kc.loadFromFile(src.kubeconfigPath);
    if (src.context !== undefined) kc.setCurrentContext(src.context);
  } else if ("inCluster" in src) {
    kc.loadFromCluster(src.root ?? "");
  } else {
    kc.loadFromDefault();
  }
  if (kc.getCurrentCluster() === null) throw new Error("kubeconfig has no current cluster");
  return kc;
}
