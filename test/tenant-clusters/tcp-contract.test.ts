/**
 * Our TenantControlPlane against Kamaji's CRD (../shared/specs/kamaji, read in place): every field the
 * backend writes is in the schema (nothing pruned), required fields and enums hold, and every status
 * field it reads (and the lab Kamaji writes) exists there too.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readTenantCluster } from "../../engine/kinds/tenant-cluster/spec.ts";
import { tenantControlPlane } from "../../engine/kinds/tenant-cluster/tcp.ts";
import { crdForKube120 } from "../../lab/kamaji/index.ts";
import { specsDir } from "../support/specs.ts";

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  additionalProperties?: Schema | boolean;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
}

const crd = parse(readFileSync(join(specsDir(), "kamaji", "kamaji.clastix.io_tenantcontrolplanes.yaml"), "utf8")) as {
  spec: { versions: { schema: { openAPIV3Schema: Schema } }[] };
};
const schema = crd.spec.versions[0]!.schema.openAPIV3Schema;

/** Problems of `value` under `schema`: unknown (pruned) fields, missing required ones, values outside an enum. */
function problems(value: unknown, s: Schema | undefined, at = ""): string[] {
  if (!s) return [`${at}: not in the schema`];
  if (s.enum && !s.enum.includes(value)) return [`${at}: ${JSON.stringify(value)} not in ${JSON.stringify(s.enum)}`];
  if (Array.isArray(value)) return value.flatMap((v, i) => problems(v, s.items, `${at}/${i}`));
  if (value === null || typeof value !== "object") return [];
  const out = (s.required ?? []).filter((r) => !(r in value)).map((r) => `${at}/${r}: required`);
  for (const [k, v] of Object.entries(value)) {
    if (at === "" && (k === "apiVersion" || k === "kind" || k === "metadata")) continue;
    const sub = s.properties?.[k] ?? (typeof s.additionalProperties === "object" ? s.additionalProperties : undefined);
    if (!sub && s["x-kubernetes-preserve-unknown-fields"] !== true) out.push(`${at}/${k}: not in the schema`);
    else if (sub) out.push(...problems(v, sub, `${at}/${k}`));
  }
  return out;
}

const at = (path: string): Schema | undefined =>
  path.split(".").reduce<Schema | undefined>((s, k) => s?.properties?.[k], schema);

describe("TenantControlPlane contract (Kamaji CRD)", () => {
  it("the TCP the backend applies is valid under Kamaji's schema", () => {
    for (const serviceType of ["LoadBalancer", "NodePort", "ClusterIP"]) {
      const t = readTenantCluster({
        apiVersion: "fleet.bosun.dev/v1alpha1",
        kind: "TenantCluster",
        namespace: "tenants",
        name: "acme",
        source: { file: "x.yaml", line: 1, col: 1 },
        body: {
          spec: {
            controlPlane: {
              version: "v1.30.2",
              replicas: 3,
              serviceType,
              port: 6443,
              addons: { coreDNS: {}, kubeProxy: {}, konnectivity: {} },
            },
            workers: { count: 1, template: { vmid: 9000 } },
          },
        },
      });
      expect(problems(tenantControlPlane(t), schema)).toEqual([]);
    }
  });

  it("the status fields read and written exist, with Kamaji's version states", () => {
    for (const p of [
      "status.controlPlaneEndpoint",
      "status.kubeconfig.properties.admin",
      "status.kubernetesResources.version.status",
      "status.kubernetesResources.version.version",
      "status.kubernetesResources.deployment.readyReplicas",
      "status.kubernetesResources.service.loadBalancer",
      "status.storage.dataStoreName",
      "status.observedGeneration",
    ])
      expect(at(p.replace(".properties.", ".")), p).toBeDefined();
    expect(at("status.kubernetesResources.version.status")?.enum).toEqual(
      expect.arrayContaining(["Provisioning", "Upgrading", "Ready", "NotReady"]),
    );
  });

  it('the v1.20 change removes only x-kubernetes-validations and default: ""', () => {
    const { crd: changed, removed } = crdForKube120(crd as unknown as Record<string, unknown>);
    const text = JSON.stringify(crd);
    const count = (re: RegExp): number => (text.match(re) ?? []).length;
    expect(removed.validations).toBe(count(/"x-kubernetes-validations"/g));
    expect(removed.emptyDefaults).toBe(count(/"default":""/g));
    const back = JSON.stringify(changed);
    expect(back.length).toBeLessThan(text.length);
    expect(back).not.toContain("x-kubernetes-validations");
    expect(back).not.toContain('"default":""');
    expect(back).toContain('"default":"Provisioning"');
  });
});
