import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { loadKubeConfig, SERVICE_ACCOUNT_DIR } from "../clients/kubernetes/index.ts";
import { BosunError } from "../engine/index.ts";

type KubeConfig = ReturnType<typeof loadKubeConfig>;

/**
 * The root that stands in for `/` when looking for the in-cluster service account
 * (`BOSUN_IN_CLUSTER_ROOT`; tests point it at a temp dir holding `var/run/secrets/…`).
 */
export const IN_CLUSTER_ROOT_ENV = "BOSUN_IN_CLUSTER_ROOT";

/** True when running in a pod: the service host is set and the service account token is mounted. */
export function inClusterRoot(env: NodeJS.ProcessEnv): string | undefined {
  const root = env[IN_CLUSTER_ROOT_ENV] ?? "";
  const set = env["KUBERNETES_SERVICE_HOST"] !== undefined && env["KUBERNETES_SERVICE_PORT"] !== undefined;
  return set && existsSync(`${root}${SERVICE_ACCOUNT_DIR}/token`) ? root : undefined;
}

/**
 * The cluster to talk to: `kubeconfig` (a file, optionally a context), else the in-cluster
 * service account (token + CA of the pod), else `$KUBECONFIG` or `~/.kube/config`. Throws a
 * BosunError naming the setting and the fix instead of falling back to client-node's `http://localhost:8080`. `setting` says where
 * the path came from (`kubernetes.kubeconfig`, `--kubeconfig`).
 */
export function clusterConfig(
  input: { readonly kubeconfig?: string | undefined; readonly context?: string | undefined },
  setting: string,
  env: NodeJS.ProcessEnv = process.env,
): KubeConfig {
  if (input.kubeconfig) {
    const path = input.kubeconfig;
    if (!existsSync(path))
      throw new BosunError(`${setting} ${path}`, "does not exist; point it at a kubeconfig file", {
        code: "KUBECONFIG",
      });
    try {
      return loadKubeConfig({ kubeconfigPath: path, ...(input.context ? { context: input.context } : {}) });
    } catch (cause) {
      const detail = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
      const hint = input.context
        ? `check that context ${input.context} exists in it (kubectl config get-contexts)`
        : "check that it is a kubeconfig with a current context";
      throw new BosunError(`${setting} ${path}`, `cannot be used (${detail}); ${hint}`, { cause, code: "KUBECONFIG" });
    }
  }
  const root = inClusterRoot(env);
  if (root !== undefined) {
    try {
      return loadKubeConfig({ inCluster: true, root });
    } catch (cause) {
      const detail = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
      throw new BosunError(
        `in-cluster service account ${root}${SERVICE_ACCOUNT_DIR}`,
        `cannot be used (${detail}); check the mounted token and ca.crt, or set ${setting}`,
        { cause, code: "KUBECONFIG" },
      );
    }
  }
  const fromEnv = env["KUBECONFIG"]?.split(":").filter((p) => p !== "") ?? [];
  const home = join(env["HOME"] ?? homedir(), ".kube", "config");
  const inCluster = env["KUBERNETES_SERVICE_HOST"] !== undefined && env["KUBERNETES_SERVICE_PORT"] !== undefined;
  if (!fromEnv.some((p) => existsSync(p)) && !existsSync(home) && !inCluster) {
    throw new BosunError(
      "cluster",
      `no kubeconfig found (${setting} not set, $KUBECONFIG ${fromEnv.length > 0 ? "names no existing file" : "unset"}, ` +
        `no ${home}, not in a cluster); set ${setting} to a kubeconfig file`,
      { code: "KUBECONFIG" },
    );
  }
  try {
    return loadKubeConfig({ default: true });
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
    throw new BosunError("cluster", `the default kubeconfig cannot be used (${detail}); set ${setting}`, {
      cause,
      code: "KUBECONFIG",
    });
  }
}
