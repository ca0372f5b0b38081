import { writeFile } from "node:fs/promises";
import { stringify } from "yaml";

/** Writes a token kubeconfig that verifies the server against `caFile` (mode 0600). */
export async function writeKubeconfig(
  path: string,
  server: string,
  caFile: string,
  user: string,
  token: string,
): Promise<void> {
  const doc = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "bosun-lab", cluster: { server, "certificate-authority": caFile } }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: "bosun-lab", context: { cluster: "bosun-lab", user } }],
    "current-context": "bosun-lab",
  };
  await writeFile(path, stringify(doc), { mode: 0o600 });
}
