/**
 * vitest global setup of the `integration` project: builds (first run only) and starts the lab
 * Kubernetes environment once per run — etcd + kube-apiserver + kube-controller-manager on
 * 127.0.0.1 (see lab/kube/README.md) — provides its connection as `inject("kube")`, and stops it
 * at teardown. Tests that restart the apiserver (test/support/kube.ts `restartApiServer`) leave
 * it running.
 */
import type { TestProject } from "vitest/node";
import { startKubeEnv, type KubeConnection } from "../../lab/kube/kube-env.ts";

declare module "vitest" {
  export interface ProvidedContext {
    kube: KubeConnection;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const env = await startKubeEnv({ onProgress: (line) => process.stderr.write(`${line}\n`) });
  process.stderr.write(`[bosun-kube] environment up in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
  const conn: KubeConnection = {
    kubeconfigPath: env.kubeconfigPath,
    server: env.server,
    token: env.token,
    caFile: env.caFile,
    workDir: env.workDir,
  };
  project.provide("kube", conn);
  return async () => {
    await env.stop();
  };
}
