/**
 * Rendering and validating WorkloadCluster templates on plain data: the example fleet's template
 * renders into Cluster API v1beta2 and KVM provider objects that the real CRDs accept (Cluster API's
 * from ../shared/specs unchanged, the KVM provider's from deploy/crds, lab/capi's stand-ins); an
 * undefined variable and a field a CRD rejects are reported with file:line.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadFleet } from "../../engine/desired/load-fleet.ts";
import { readDirectory } from "../../engine/desired/read-directory.ts";
import { formatDiagnostic } from "../../engine/model/diagnostic.ts";
import type { FleetFile, FleetObject } from "../../engine/model/fleet-object.ts";
import { renderTemplate } from "../../engine/kinds/workload-cluster/render.ts";
import { CrdValidators, validateRendered } from "../../engine/kinds/workload-cluster/validate.ts";
import { managementCrdFiles } from "../../lab/capi/crds.ts";
import { loadManifests } from "../../sinks/kubernetes/manifests.ts";

const example = join(import.meta.dirname, "../../fleet-repo-example");
const enc = new TextEncoder();

async function validators(): Promise<CrdValidators> {
  const crds = [];
  for (const f of managementCrdFiles()) crds.push(...(await loadManifests(f)));
  return new CrdValidators(crds as never);
}

async function exampleFiles(): Promise<FleetFile[]> {
  return readDirectory(example);
}

function replace(files: FleetFile[], path: string, edit: (text: string) => string): FleetFile[] {
  return files.map((f) => (f.path === path ? { path, bytes: enc.encode(edit(new TextDecoder().decode(f.bytes))) } : f));
}

const TEMPLATE = "clusters/templates/cluster-template-kvm.yaml";

describe("WorkloadCluster templates", () => {
  it("the example renders into objects every CRD accepts, in the cluster's namespace, labelled as Bosun's", async () => {
    const loaded = loadFleet(await exampleFiles());
    if (!loaded.ok) throw new Error(loaded.diagnostics.map(formatDiagnostic).join("\n"));
    const wc = loaded.objects.find((o) => o.kind === "WorkloadCluster") as FleetObject;
    const text = loaded.templates?.get(TEMPLATE);
    expect(text).toBeDefined();
    const rendered = renderTemplate(wc, TEMPLATE, text as string);
    if (!rendered.ok) throw new Error(rendered.diagnostics.map(formatDiagnostic).join("\n"));
    expect(
      rendered.objects.map(
        (o) => `${String(o.object["kind"])}/${String((o.object["metadata"] as { name: string }).name)}`,
      ),
    ).toEqual([
      "Cluster/kvm-prod",
      "KVMCluster/kvm-prod",
      "KVMMachineTemplate/kvm-prod-control-plane",
      "KubeadmControlPlane/kvm-prod-control-plane",
      "KVMMachineTemplate/kvm-prod-md-0",
      "KubeadmConfigTemplate/kvm-prod-md-0",
      "MachineDeployment/kvm-prod-md-0",
    ]);
    for (const o of rendered.objects) {
      const m = o.object["metadata"] as { namespace: string; labels: Record<string, string> };
      expect(m.namespace).toBe("clusters");
      expect(m.labels["app.kubernetes.io/managed-by"]).toBe("bosun");
      expect(m.labels["bosun.dev/workload-cluster"]).toBe("clusters.kvm-prod");
    }
    const md = rendered.objects.find((o) => o.object["kind"] === "MachineDeployment")?.object as {
      spec: { replicas: number; template: { spec: { version: string } } };
    };
    expect(md.spec.replicas).toBe(5);
    expect(md.spec.template.spec.version).toBe("v1.29.4");
    const worker = rendered.objects.find(
      (o) =>
        (o.object["metadata"] as { name: string }).name === "kvm-prod-md-0" &&
        o.object["kind"] === "KVMMachineTemplate",
    )?.object as { spec: { template: { spec: { resources: Record<string, unknown> } } } };
    // The seed's defaults where the WorkloadCluster sets nothing: 40 GB volumes; its own 8 CPUs / 16GB.
    expect(worker.spec.template.spec.resources).toEqual({
      cpu: 8,
      memory: "16GB",
      disk: "40G",
      dockerVolumeSize: "40G",
    });
    expect(
      validateRendered(rendered.objects, await validators(), "WorkloadCluster clusters/kvm-prod", "mgmt-a"),
    ).toEqual([]);
  });

  it("every CRD the lab installs is found: Cluster API's three unchanged, the provider's three, two stand-ins", () => {
    const names = managementCrdFiles().map((f) => f.split("/").pop());
    expect(names).toEqual([
      "cluster.x-k8s.io_clusters.yaml",
      "cluster.x-k8s.io_machinedeployments.yaml",
      "cluster.x-k8s.io_machines.yaml",
      "infrastructure.cluster.x-k8s.io_kvmclusters.yaml",
      "infrastructure.cluster.x-k8s.io_kvmmachines.yaml",
      "infrastructure.cluster.x-k8s.io_kvmmachinetemplates.yaml",
      "bootstrap.cluster.x-k8s.io_kubeadmconfigtemplates.yaml",
      "controlplane.cluster.x-k8s.io_kubeadmcontrolplanes.yaml",
    ]);
    expect(readdirSync(join(import.meta.dirname, "../../lab/capi/crds")).length).toBe(2);
  });

  it("an undefined variable is refused at load with the WorkloadCluster's file:line and the template's line", async () => {
    const files = replace(await exampleFiles(), TEMPLATE, (t) => t.replace("port: 6443", "port: ${API_SERVER_PORT}"));
    const loaded = loadFleet(files);
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    const lines = loaded.diagnostics.map(formatDiagnostic);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^clusters\/kvm-prod\.yaml:\d+:\d+: MISSING_VARIABLE WorkloadCluster clusters\/kvm-prod: cluster template clusters\/templates\/cluster-template-kvm\.yaml needs API_SERVER_PORT \(clusters\/templates\/cluster-template-kvm\.yaml:33\)/,
    );
  });

  it("a rendered field a CRD rejects is reported at the template's line with the object's path; nothing else passes", async () => {
    const files = replace(await exampleFiles(), TEMPLATE, (t) =>
      t
        .replace("        maxUnavailable: 0\n", "        maxUnavailable: 0\n        maxSurgeTypo: 2\n")
        .replace("cpu: ${WORKER_MACHINE_CPUS:=4}", "cpu: ${WORKER_MACHINE_CPUS:=4}0"),
    );
    const loaded = loadFleet(files);
    if (!loaded.ok) throw new Error(loaded.diagnostics.map(formatDiagnostic).join("\n"));
    const wc = loaded.objects.find((o) => o.kind === "WorkloadCluster") as FleetObject;
    const rendered = renderTemplate(wc, TEMPLATE, loaded.templates?.get(TEMPLATE) as string);
    if (!rendered.ok) throw new Error("render failed");
    const problems = validateRendered(
      rendered.objects,
      await validators(),
      "WorkloadCluster clusters/kvm-prod (clusters/kvm-prod.yaml:3)",
      "mgmt-a",
    ).map(formatDiagnostic);
    expect(problems).toEqual([
      expect.stringMatching(
        /^clusters\/templates\/cluster-template-kvm\.yaml:78:9: OUT_OF_RANGE WorkloadCluster clusters\/kvm-prod \(clusters\/kvm-prod\.yaml:3\): rendered KVMMachineTemplate kvm-prod-md-0: spec\.template\.spec\.resources\.cpu must be <= 64/,
      ),
      expect.stringMatching(
        /^clusters\/templates\/cluster-template-kvm\.yaml:117:9: UNKNOWN_FIELD .*rendered MachineDeployment kvm-prod-md-0: .*maxSurgeTypo/,
      ),
    ]);
  });

  it("a kind or version the management cluster does not serve names the served versions", async () => {
    const files = replace(await exampleFiles(), TEMPLATE, (t) =>
      t.replace(
        "apiVersion: cluster.x-k8s.io/v1beta2\nkind: MachineDeployment",
        "apiVersion: cluster.x-k8s.io/v1alpha4\nkind: MachineDeployment",
      ),
    );
    const loaded = loadFleet(files);
    if (!loaded.ok) throw new Error("load failed");
    const wc = loaded.objects.find((o) => o.kind === "WorkloadCluster") as FleetObject;
    const rendered = renderTemplate(wc, TEMPLATE, loaded.templates?.get(TEMPLATE) as string);
    if (!rendered.ok) throw new Error("render failed");
    const problems = validateRendered(
      rendered.objects,
      await validators(),
      "WorkloadCluster clusters/kvm-prod",
      "mgmt-a",
    ).map(formatDiagnostic);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain("UNKNOWN_KIND");
    expect(problems[0]).toContain(
      "management cluster mgmt-a serves MachineDeployment only as v1beta1, v1beta2, not cluster.x-k8s.io/v1alpha4",
    );
  });

  it("a template that no longer parses after substitution is refused at load with its line", () => {
    const wc = `apiVersion: fleet.bosun.dev/v1alpha1
kind: WorkloadCluster
metadata: {name: c1, namespace: ns}
spec:
  template: t.yaml
  variables: {KUBERNETES_VERSION: v1.30.1, NAME_SUFFIX: "a: b"}
`;
    const loaded = loadFleet([
      { path: "c1.yaml", bytes: enc.encode(wc) },
      { path: "t.yaml", bytes: enc.encode("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x-${NAME_SUFFIX}\n") },
    ]);
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.diagnostics.map(formatDiagnostic)[0]).toMatch(
      /^t\.yaml:4:\d+: YAML_SYNTAX WorkloadCluster ns\/c1 \(c1\.yaml:1\): rendered template:/,
    );
  });
});
