import { readdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import type { KubeObject } from "../../clients/kubernetes/types.ts";
import { loadManifests } from "./manifests.ts";

/** The CRDs Bosun ships (deploy/crds/*.yaml). */
export async function bosunCrds(): Promise<KubeObject[]> {
  const dir = fileURLToPath(new URL("../../deploy/crds/", import.meta.url));
  const files = (await readdir(dir)).filter((f) => f.endsWith(".yaml")).sort();
  return (await Promise.all(files.map((f) => loadManifests(join(dir, f))))).flat();
}

/** A DeviceProcessDeployment like seed 004's switch-agent. */
export function switchAgentDeployment(
  namespace: string,
  name = "switch-agent",
  url = "ghcr.io/apollo/switch-agent:v1.2.3",
): KubeObject {
  return {
    apiVersion: "azure.com/v1alpha1",
    kind: "DeviceProcessDeployment",
    metadata: { name, namespace, labels: { app: "switch-agent" } },
    spec: {
      selector: { matchLabels: { role: "tor", type: "switch" } },
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "10%" } },
      template: {
        metadata: { labels: { app: "switch-agent" } },
        spec: {
          artifact: { type: "oci", url, checksumSHA256: "a".repeat(64) },
          execution: {
            backend: "systemd",
            command: ["/usr/bin/switch-agent"],
            args: ["--config", "/etc/switch-agent/config.yaml"],
          },
          restartPolicy: "Always",
          healthCheck: { exec: { command: ["/usr/bin/switch-agent", "health"] }, periodSeconds: 30 },
        },
      },
      waves: [{ name: "canary", selector: { matchLabels: { rack: "r1" } }, approval: "auto", successThreshold: "90%" }],
      successThreshold: "90%",
    },
  };
}
