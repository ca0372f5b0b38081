import { BosunError } from "../../engine/model/errors.ts";

/**
 * Anything that goes wrong setting up or running the lab Kubernetes environment: subject
 * "kube lab", code `KUBE_LAB`, the underlying failure as `cause`.
 */
export class KubeLabError extends BosunError {
  override readonly name = "KubeLabError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("kube lab", message, { ...options, code: "KUBE_LAB" });
  }
}
