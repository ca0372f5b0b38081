/** Anything that goes wrong setting up or running the lab Kubernetes environment. */
export class KubeLabError extends Error {
  override readonly name = "KubeLabError";
}
