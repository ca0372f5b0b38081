/** Secrets and ConfigMaps a DeviceProcess references: pull secrets and env valueFrom. */
import { AgentError } from "../errors.ts";
import type { DeviceProcess } from "../model.ts";
import type { KubeClient } from "./client.ts";

interface DataObject {
  type?: string;
  data?: Record<string, string>;
}

export async function readPullSecret(
  client: KubeClient,
  namespace: string,
  name: string,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const s = await client.json<DataObject>(
    "GET",
    `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`,
    undefined,
    signal ? { signal } : {},
  );
  const b64 = s.data?.[".dockerconfigjson"];
  return b64 ? Buffer.from(b64, "base64").toString("utf8") : undefined;
}

/** Resolves spec.execution.env (value, or valueFrom secretKeyRef/configMapKeyRef in the DeviceProcess's namespace). */
export async function resolveEnv(
  client: KubeClient,
  dp: DeviceProcess,
  signal?: AbortSignal,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const ns = encodeURIComponent(dp.metadata.namespace);
  for (const e of dp.spec.execution.env ?? []) {
    if (e.value !== undefined) {
      out[e.name] = e.value;
      continue;
    }
    const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
    if (!ref) continue;
    const isSecret = e.valueFrom?.secretKeyRef !== undefined;
    const obj = await client.json<DataObject>(
      "GET",
      `/api/v1/namespaces/${ns}/${isSecret ? "secrets" : "configmaps"}/${encodeURIComponent(ref.name)}`,
      undefined,
      signal ? { signal } : {},
    );
    const raw = obj.data?.[ref.key];
    if (raw === undefined)
      throw new AgentError(
        "BadConfig",
        `DeviceProcess ${dp.metadata.namespace}/${dp.metadata.name}`,
        `env ${e.name}: ${isSecret ? "Secret" : "ConfigMap"} ${ref.name} has no key ${ref.key}`,
      );
    out[e.name] = isSecret ? Buffer.from(raw, "base64").toString("utf8") : raw;
  }
  return out;
}
