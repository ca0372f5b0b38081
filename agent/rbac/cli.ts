/** `bosun-agent rbac …`: prints the RBAC YAML for a device (and with --shared, the cluster-wide part). */
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { renderDeviceRbac, renderSharedRbac } from "../../engine/kinds/device-process/agent-rbac.ts";

export const RBAC_USAGE =
  "usage: bosun-agent rbac [--shared] [--device NAME --namespace NS --deviceprocess NAME… [--secret NAME…] [--configmap NAME…] [--lease-namespace NS]]";

export function rbacMain(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      shared: { type: "boolean" },
      device: { type: "string" },
      namespace: { type: "string" },
      "lease-namespace": { type: "string" },
      deviceprocess: { type: "string", multiple: true },
      secret: { type: "string", multiple: true },
      configmap: { type: "string", multiple: true },
    },
    strict: true,
  });
  const docs = values.shared ? renderSharedRbac() : [];
  if (values.device) {
    if (!values.namespace) {
      process.stderr.write(`--namespace is required with --device\n${RBAC_USAGE}\n`);
      return 2;
    }
    docs.push(
      ...renderDeviceRbac({
        device: values.device,
        namespace: values.namespace,
        deviceProcesses: values.deviceprocess ?? [],
        secrets: values.secret ?? [],
        configMaps: values.configmap ?? [],
        ...(values["lease-namespace"] ? { leaseNamespace: values["lease-namespace"] } : {}),
      }),
    );
  }
  if (docs.length === 0) {
    process.stderr.write(`${RBAC_USAGE}\n`);
    return 2;
  }
  out(docs.map((d) => stringify(d)).join("---\n"));
  return 0;
}
