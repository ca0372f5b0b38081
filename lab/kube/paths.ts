import { homedir } from "node:os";
import { join } from "node:path";

/** The Kubernetes version the lab builds from Debian's `kubernetes` source package. */
export const KUBE_VERSION = "v1.20.2";

/** Cache root: `$BOSUN_CACHE_DIR`, default `~/.cache/bosun`. Never inside the repo. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env["BOSUN_CACHE_DIR"];
  return fromEnv !== undefined && fromEnv !== "" ? fromEnv : join(homedir(), ".cache", "bosun");
}

export interface KubeBinaries {
  readonly binDir: string;
  readonly kubeApiServer: string;
  readonly kubeControllerManager: string;
  readonly etcd: string;
}

/** Where the cached binaries live (`<cache>/kube-v1.20.2/bin`); etcd comes from Debian's etcd-server. */
export function kubeBinaries(env: NodeJS.ProcessEnv = process.env): KubeBinaries {
  const binDir = join(cacheRoot(env), `kube-${KUBE_VERSION}`, "bin");
  return {
    binDir,
    kubeApiServer: join(binDir, "kube-apiserver"),
    kubeControllerManager: join(binDir, "kube-controller-manager"),
    etcd: "/usr/bin/etcd",
  };
}

/** Marker written by install.sh after a complete build (sha256 sums + version). */
export function binariesMarker(env: NodeJS.ProcessEnv = process.env): string {
  return join(kubeBinaries(env).binDir, ".complete");
}
