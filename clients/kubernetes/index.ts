/** The Kubernetes wire client: kubeconfig, rate limit, paged lists, watches, typed API errors. */
export { KubeClient, type PropagationPolicy } from "./client.ts";
export { loadKubeConfig, SERVICE_ACCOUNT_DIR } from "./config.ts";
export { isGone, KubeApiError } from "./errors.ts";
export type { KubeObject } from "./types.ts";
