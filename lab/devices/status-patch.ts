/**
 * Writes a DeviceProcess status as the real agent does (agent/kube/status-writer.ts): a JSON merge
 * patch on the status subresource, fields the status no longer has sent as null. KubeClient has
 * no merge patch on subresources (its `mergePatch` targets the main resource, and server-side
 * apply of the status turns `lastTerminationReason: ""` into null and is rejected by the CRD
 * schema), so this goes through the client's own mapper and rate-limited REST layer.
 */
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import { resourcePath } from "../../clients/kubernetes/discovery.ts";
import type { KubeObject } from "../../clients/kubernetes/types.ts";
import { DP_API_VERSION, DP_KIND } from "./process-view.ts";
import type { SimStatus } from "./status.ts";

/** The merge patch body: optional fields absent from `status` are cleared. */
export function statusPatch(status: SimStatus): { status: Record<string, unknown> } {
  return { status: { pid: null, startTime: null, artifactVersion: null, ...status } };
}

export async function patchStatus(
  client: KubeClient,
  namespace: string,
  name: string,
  status: SimStatus,
  opts: { fieldManager: string; signal?: AbortSignal },
): Promise<KubeObject> {
  const m = await client.mapping(DP_API_VERSION, DP_KIND, opts.signal);
  return client.rest.request<KubeObject>({
    method: "PATCH",
    path: resourcePath(m, namespace, name, "status"),
    body: statusPatch(status),
    contentType: "application/merge-patch+json",
    query: { fieldManager: opts.fieldManager },
    subject: `patch status ${DP_KIND} ${namespace}/${name}`,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
}
