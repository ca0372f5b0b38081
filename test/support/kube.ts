/**
 * Helpers for integration tests against the lab kube-apiserver started by test/setup/global.ts.
 * Each test creates its own namespace; clients are built from the injected kubeconfig.
 */
import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { KubeClient, type KubeClientOptions } from "../../clients/kubernetes/client.ts";
import { loadKubeConfig } from "../../clients/kubernetes/config.ts";
import { attachKubeEnv, type KubeConnection } from "../../lab/kube/kube-env.ts";

/** The connection provided by the global setup. */
export function kubeConnection(): KubeConnection {
  return inject("kube");
}

/** A client for the lab apiserver (TLS verified against the lab CA, admin token). Call `close()` after. */
export function kubeClient(opts: KubeClientOptions = {}): KubeClient {
  return new KubeClient(loadKubeConfig({ kubeconfigPath: kubeConnection().kubeconfigPath }), opts);
}

export interface TestNamespace {
  readonly name: string;
  /** Deletes the namespace (Background) without waiting for finalization. */
  cleanup(): Promise<void>;
}

/** Creates a uniquely named namespace (`<prefix>-<random>`) labelled `bosun.dev/test=true`. */
export async function createTestNamespace(
  client: KubeClient,
  prefix = "t",
  signal?: AbortSignal,
): Promise<TestNamespace> {
  const name = `${prefix}-${randomBytes(4).toString("hex")}`.toLowerCase();
  await client.create(
    { apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { "bosun.dev/test": "true" } } },
    signal ? { signal } : {},
  );
  return {
    name,
    async cleanup() {
      await client.delete({ apiVersion: "v1", kind: "Namespace", name }, { propagationPolicy: "Background" });
    },
  };
}

/** Restarts kube-apiserver on the same port (etcd and controller-manager keep running). */
export async function restartApiServer(signal?: AbortSignal): Promise<void> {
  const env = await attachKubeEnv(kubeConnection().workDir);
  await env.restartApiServer(signal ? { signal } : {});
}

/** Stops kube-apiserver; pair with {@link startApiServer}. */
export async function stopApiServer(): Promise<void> {
  await (await attachKubeEnv(kubeConnection().workDir)).stopApiServer();
}

export async function startApiServer(signal?: AbortSignal): Promise<void> {
  await (await attachKubeEnv(kubeConnection().workDir)).startApiServer(signal ? { signal } : {});
}

/** Environment for running kubectl against the lab (KUBECONFIG set, nothing else inherited that matters). */
export function kubectlEnv(): NodeJS.ProcessEnv {
  return { ...process.env, KUBECONFIG: kubeConnection().kubeconfigPath };
}
