import { KubeConfig } from "@kubernetes/client-node";

export type KubeConfigSource =
  | { readonly kubeconfigPath: string; readonly context?: string }
  | { readonly inCluster: true }
  /** `$KUBECONFIG`, `~/.kube/config`, then in-cluster (client-node's default order). */
  | { readonly default: true };

/** Loads a kubeconfig file, the in-cluster service-account config, or the default chain. */
export function loadKubeConfig(src: KubeConfigSource): KubeConfig {
  const kc = new KubeConfig();
  if ("kubeconfigPath" in src) {
    kc.loadFromFile(src.kubeconfigPath);
    if (src.context !== undefined) kc.setCurrentContext(src.context);
  } else if ("inCluster" in src) {
    kc.loadFromCluster();
  } else {
    kc.loadFromDefault();
  }
  if (kc.getCurrentCluster() === null) throw new Error("kubeconfig has no current cluster");
  return kc;
}
