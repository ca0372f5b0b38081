import { execFile } from "node:child_process";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import { bosunCrds, switchAgentDeployment } from "./fixtures.ts";
import { loadManifests } from "./manifests.ts";
import { KubernetesSink } from "./sink.ts";
import { createTestNamespace, kubeClient, kubectlEnv, type TestNamespace } from "../../test/support/kube.ts";
import { specsDir } from "../../test/support/specs.ts";

const run = promisify(execFile);
const SPECS = specsDir();
const signal = (): AbortSignal => AbortSignal.timeout(120_000);
const cells = (line: string): string[] => line.trim().split(/\s{2,}/);

async function kubectl(...args: string[]): Promise<string[]> {
  const { stdout } = await run("/usr/bin/kubectl", args, { env: kubectlEnv() });
  return stdout.trimEnd().split("\n");
}

describe("CRDs Bosun ships", () => {
  let client: KubeClient;
  let sink: KubernetesSink;
  let ns: TestNamespace;
  beforeAll(async () => {
    client = kubeClient();
    sink = new KubernetesSink({ client });
    ns = await createTestNamespace(client, "crds");
  });
  afterAll(async () => {
    await ns.cleanup();
    client.close();
  });

  it("all install as structural v1 CRDs and become Established", async () => {
    const crds = await bosunCrds();
    expect(crds.map((c) => c.metadata.name).sort()).toEqual([
      "bmcs.azure.com",
      "deviceprocessdeployments.azure.com",
      "deviceprocesses.azure.com",
      "dpus.azure.com",
      "faragents.agents.tinkerbell.io",
      "kvmclusters.infrastructure.cluster.x-k8s.io",
      "kvmmachines.infrastructure.cluster.x-k8s.io",
      "kvmmachinetemplates.infrastructure.cluster.x-k8s.io",
      "networkswitches.azure.com",
      "servers.azure.com",
      "socs.azure.com",
      "tenantclusters.fleet.bosun.dev",
      "workloadclusters.fleet.bosun.dev",
    ]);
    const entries = await sink.apply(crds, signal());
    expect(entries.filter((e) => e.error !== undefined)).toEqual([]);
    for (const c of crds) {
      const live = await client.get({ apiVersion: c.apiVersion, kind: c.kind, name: c.metadata.name });
      const types = (live?.["status"] as { conditions: Array<{ type: string; status: string }> }).conditions
        .filter((x) => x.status === "True")
        .map((x) => x.type);
      expect(types).toContain("Established");
      expect(types).not.toContain("NonStructuralSchema");
    }
  });

  it("kubectl get deviceprocessdeployment shows seed 004's columns for an object Bosun applied", async () => {
    const dpd = switchAgentDeployment(ns.name);
    expect((await sink.applyObject(dpd, signal())).action).toMatch(/created|unchanged/);
    await sink.applyStatus(
      {
        ...dpd,
        status: {
          desiredNumberScheduled: 100,
          currentNumberScheduled: 100,
          numberReady: 98,
          numberAvailable: 98,
          numberUnavailable: 2,
        },
      },
      signal(),
    );
    const [header, row, ...rest] = await kubectl("get", "deviceprocessdeployment", "-n", ns.name);
    expect(cells(header!)).toEqual([
      "NAME",
      "DESIRED",
      "CURRENT",
      "READY",
      "UP-TO-DATE",
      "AVAILABLE",
      "UNAVAILABLE",
      "PHASE",
      "WAVE",
      "AGE",
    ]);
    // No updatedNumberScheduled, phase or wave in this status: kubectl leaves those cells empty.
    expect(cells(row!)[0]).toBe("switch-agent");
    expect(cells(row!).slice(1, 4)).toEqual(["100", "100", "98"]);
    expect(rest).toEqual([]);
  });

  it("kubectl get deviceprocess shows DEVICE PHASE VERSION RESTARTS AGE", async () => {
    const dp = {
      apiVersion: "azure.com/v1alpha1",
      kind: "DeviceProcess",
      metadata: { name: "switch-agent-tor1-01", namespace: ns.name, labels: { app: "switch-agent" } },
      spec: {
        deviceRef: { kind: "NetworkSwitch", name: "tor1-01" },
        artifact: { type: "oci", url: "ghcr.io/apollo/switch-agent:v1.2.3", checksumSHA256: "b".repeat(64) },
        execution: {
          backend: "systemd",
          command: ["/usr/bin/switch-agent"],
          env: [{ name: "LOG_LEVEL", value: "info" }],
          workingDir: "/opt/switch-agent",
        },
        restartPolicy: "Always",
        healthCheck: {
          exec: { command: ["/usr/bin/switch-agent", "health"] },
          periodSeconds: 30,
          timeoutSeconds: 5,
          successThreshold: 1,
          failureThreshold: 3,
        },
      },
    };
    await sink.applyObject(dp, signal());
    await sink.applyStatus(
      { ...dp, status: { phase: "Running", artifactVersion: "v1.2.3", restartCount: 1, pid: 12345 } },
      signal(),
    );
    const [header, row] = await kubectl("get", "deviceprocess", "-n", ns.name);
    expect(cells(header!)).toEqual(["NAME", "DEVICE", "PHASE", "VERSION", "RESTARTS", "AGE"]);
    expect(cells(row!).slice(0, 5)).toEqual(["switch-agent-tor1-01", "tor1-01", "Running", "v1.2.3", "1"]);
  });

  it("the schema rejects what seed 004 does not allow", async () => {
    const bad = {
      apiVersion: "azure.com/v1alpha1",
      kind: "DeviceProcess",
      metadata: { name: "bad", namespace: ns.name },
      spec: {
        deviceRef: { kind: "Toaster", name: "t" },
        artifact: { type: "ftp", url: "x", checksumSHA256: "nothex" },
        execution: { backend: "systemd" },
      },
    };
    const e = await sink.applyObject(bad, signal());
    expect(e.action).toBe("skipped");
    expect(e.error).toMatchObject({ kind: "permanent", cause: { statusCode: 422 } });
    expect(e.error?.message).toContain("spec.deviceRef.kind");
    expect(e.error?.message).toContain("spec.artifact.checksumSHA256");
  });
});

describe("upstream CRDs from ../shared/specs", () => {
  let client: KubeClient;
  let sink: KubernetesSink;
  beforeAll(() => {
    client = kubeClient();
    sink = new KubernetesSink({ client });
  });
  afterAll(() => client.close());

  async function upstream(dir: string): Promise<string[]> {
    return (await readdir(join(SPECS, dir)))
      .filter((f) => f.endsWith(".yaml") && f.includes("_"))
      .map((f) => join(SPECS, dir, f))
      .sort();
  }

  it("Cluster API and CAPMVM CRDs install unchanged and become Established; a second pass writes nothing", async () => {
    const files = [...(await upstream("cluster-api")), ...(await upstream("capmvm"))];
    const crds = (await Promise.all(files.map(loadManifests))).flat();
    expect(crds.map((c) => c.metadata.name).sort()).toEqual([
      "clusters.cluster.x-k8s.io",
      "machinedeployments.cluster.x-k8s.io",
      "machines.cluster.x-k8s.io",
      "microvmclusters.infrastructure.cluster.x-k8s.io",
      "microvmmachines.infrastructure.cluster.x-k8s.io",
      "microvmmachinetemplates.infrastructure.cluster.x-k8s.io",
    ]);
    const first = await sink.apply(crds, signal());
    expect(first.filter((e) => e.error !== undefined)).toEqual([]);
    const rvs = async (): Promise<Array<string | undefined>> =>
      Promise.all(
        crds.map(
          async (c) =>
            (await client.get({ apiVersion: c.apiVersion, kind: c.kind, name: c.metadata.name }))?.metadata
              .resourceVersion,
        ),
      );
    const before = await rvs();
    const second = await sink.apply(crds, signal());
    expect(second.map((e) => e.action)).toEqual(crds.map(() => "unchanged"));
    expect(await rvs()).toEqual(before);
  });

  it("Kamaji's TenantControlPlane CRD (controller-gen 0.20) is refused by kube-apiserver v1.20: reported, not thrown", async () => {
    const [crd] = await loadManifests(join(SPECS, "kamaji", "kamaji.clastix.io_tenantcontrolplanes.yaml"));
    const e = await sink.applyObject(crd!, signal());
    // v1.20 has no x-kubernetes-validations in its CRD schema type; server-side apply refuses the field.
    expect(e.action).toBe("skipped");
    expect(e.error?.message).toContain("x-kubernetes-validations");
  });
});
