import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import type { KubeObject } from "../../clients/kubernetes/types.ts";
import { createTestNamespace, kubeClient, type TestNamespace } from "../../test/support/kube.ts";
import { bosunCrds, switchAgentDeployment } from "./fixtures.ts";
import { createLogger } from "../../engine/log/logger.ts";
import { kubernetesBackend } from "./backend.ts";
import { KubernetesSink } from "./sink.ts";

const signal = (): AbortSignal => AbortSignal.timeout(120_000);

describe("drift: detection, self-heal and field ownership", () => {
  let client: KubeClient;
  let ns: TestNamespace;
  const healing = (): KubernetesSink => new KubernetesSink({ client, selfHeal: { global: true } });
  const reporting = (): KubernetesSink => new KubernetesSink({ client, selfHeal: { global: false } });
  const cmRef = (name: string) => ({ apiVersion: "v1", kind: "ConfigMap", namespace: ns.name, name });
  const cm = (name: string, annotations?: Record<string, string>): KubeObject => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace: ns.name, ...(annotations ? { annotations } : {}) },
    data: { level: "info", mode: "prod" },
  });

  beforeAll(async () => {
    client = kubeClient();
    ns = await createTestNamespace(client, "drift");
    await new KubernetesSink({ client }).apply(await bosunCrds(), signal());
  });
  afterAll(async () => {
    await ns.cleanup();
    client.close();
  });

  it("an out-of-band edit of a managed field is drift, and self-heal reverts it", async () => {
    const desired = cm("heal-me");
    expect((await healing().applyObject(desired, signal())).action).toBe("created");
    await client.mergePatch(cmRef("heal-me"), { data: { level: "debug" } }, { fieldManager: "kubectl-edit" });
    const d = await healing().diff(desired, signal());
    expect(d.state).toBe("drifted");
    expect(d.fields).toEqual([
      { pointer: "/data/level", kind: "changed", desired: "info", live: "debug", owners: ["kubectl-edit"] },
    ]);
    // What `bosun plan` sees through the backend's LiveSource.
    const plan = kubernetesBackend({ client, logger: createLogger({ level: "silent" }) }).live;
    expect(await plan.diff([desired, cm("not-there")], signal())).toEqual([
      { state: "drifted", fields: [{ pointer: "/data/level", desired: "info", live: "debug" }] },
      { state: "missing", fields: [] },
    ]);
    const e = await healing().applyObject(desired, signal());
    expect(e).toMatchObject({ action: "configured", reason: "drift corrected: /data/level" });
    const live = await client.get(cmRef("heal-me"));
    expect(live?.["data"]).toEqual({ level: "info", mode: "prod" });
    expect((await healing().diff(desired, signal())).state).toBe("in-sync");
  });

  it("with self-heal off the edit is reported and left alone", async () => {
    const desired = cm("report-me");
    await reporting().applyObject(desired, signal());
    await client.mergePatch(cmRef("report-me"), { data: { level: "debug" } }, { fieldManager: "kubectl-edit" });
    const rvBefore = (await client.get(cmRef("report-me")))?.metadata.resourceVersion;
    const e = await reporting().applyObject(desired, signal());
    expect(e).toMatchObject({ action: "skipped", reason: "drift (self-heal off): /data/level" });
    expect(e.fields?.map((f) => f.pointer)).toEqual(["/data/level"]);
    const live = await client.get(cmRef("report-me"));
    expect((live?.["data"] as Record<string, string>)["level"]).toBe("debug");
    expect(live?.metadata.resourceVersion).toBe(rvBefore);
  });

  it("the per-object annotation overrides the global setting, both ways", async () => {
    const on = cm("annotated-on", { "bosun.dev/self-heal": "true" });
    const off = cm("annotated-off", { "bosun.dev/self-heal": "false" });
    await reporting().applyObject(on, signal());
    await healing().applyObject(off, signal());
    await client.mergePatch(cmRef("annotated-on"), { data: { mode: "dev" } }, { fieldManager: "kubectl-edit" });
    await client.mergePatch(cmRef("annotated-off"), { data: { mode: "dev" } }, { fieldManager: "kubectl-edit" });
    expect((await reporting().applyObject(on, signal())).action).toBe("configured");
    expect((await healing().applyObject(off, signal())).action).toBe("skipped");
  });

  it("per-kind self-heal applies when the object says nothing", async () => {
    const sink = new KubernetesSink({ client, selfHeal: { global: false, kinds: { ConfigMap: true } } });
    await sink.applyObject(cm("per-kind"), signal());
    await client.mergePatch(cmRef("per-kind"), { data: { mode: "dev" } }, { fieldManager: "kubectl-edit" });
    expect((await sink.applyObject(cm("per-kind"), signal())).action).toBe("configured");
  });

  it("fields owned by other managers are not drift and are not written", async () => {
    const desired = switchAgentDeployment(ns.name, "shared");
    await healing().applyObject(desired, signal());
    // Another controller sets a label and a spec field Bosun does not manage, with its own apply.
    await client.apply(
      {
        apiVersion: desired.apiVersion,
        kind: desired.kind,
        metadata: { name: "shared", namespace: ns.name, labels: { team: "network" } },
        spec: { paused: true },
      },
      { fieldManager: "rollout-controller" },
    );
    const rvBefore = (
      await client.get({ apiVersion: desired.apiVersion, kind: desired.kind, namespace: ns.name, name: "shared" })
    )?.metadata.resourceVersion;
    expect(await healing().diff(desired, signal())).toEqual({ state: "in-sync", fields: [] });
    expect((await healing().applyObject(desired, signal())).action).toBe("unchanged");
    const live = await client.get({
      apiVersion: desired.apiVersion,
      kind: desired.kind,
      namespace: ns.name,
      name: "shared",
    });
    expect(live?.metadata.resourceVersion).toBe(rvBefore);
    expect(live?.metadata.labels?.["team"]).toBe("network");
    expect((live?.["spec"] as { paused?: boolean }).paused).toBe(true);
  });

  it("an edit of a nested field in a CR is drift at its JSON pointer; a server default is not", async () => {
    const desired = switchAgentDeployment(ns.name, "nested");
    await healing().applyObject(desired, signal());
    // restartPolicy etc. are defaulted by the CRD schema (healthCheck.timeoutSeconds: 5): not drift.
    expect((await healing().diff(desired, signal())).state).toBe("in-sync");
    await client.mergePatch(
      { apiVersion: desired.apiVersion, kind: desired.kind, namespace: ns.name, name: "nested" },
      { spec: { template: { spec: { artifact: { url: "ghcr.io/evil/agent:v6.6.6" } } } } },
      { fieldManager: "kubectl-edit" },
    );
    const d = await healing().diff(desired, signal());
    expect(d.state).toBe("drifted");
    expect(d.fields.map((f) => f.pointer)).toEqual(["/spec/template/spec/artifact/url"]);
    expect((await healing().applyObject(desired, signal())).action).toBe("configured");
    const live = await client.get({
      apiVersion: desired.apiVersion,
      kind: desired.kind,
      namespace: ns.name,
      name: "nested",
    });
    expect((live?.["spec"] as { template: { spec: { artifact: { url: string } } } }).template.spec.artifact.url).toBe(
      "ghcr.io/apollo/switch-agent:v1.2.3",
    );
  });

  it("associative lists match by key: a container added by another manager is not drift, an edited env var is", async () => {
    const dep: KubeObject = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "lists", namespace: ns.name },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: "lists" } },
        template: {
          metadata: { labels: { app: "lists" } },
          spec: { containers: [{ name: "main", image: "registry.invalid/main:1", env: [{ name: "A", value: "1" }] }] },
        },
      },
    };
    await healing().applyObject(dep, signal());
    await client.apply(
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "lists", namespace: ns.name },
        spec: { template: { spec: { containers: [{ name: "sidecar", image: "registry.invalid/sidecar:1" }] } } },
      },
      { fieldManager: "injector" },
    );
    expect((await healing().diff(dep, signal())).state).toBe("in-sync");
    const live = await client.get({ apiVersion: "apps/v1", kind: "Deployment", namespace: ns.name, name: "lists" });
    const containers = (
      live?.["spec"] as {
        template: { spec: { containers: Array<{ name: string; env?: Array<{ name: string; value: string }> }> } };
      }
    ).template.spec.containers;
    expect(containers.map((c) => c.name).sort()).toEqual(["main", "sidecar"]);
    const patched = structuredClone(containers);
    patched[containers.findIndex((c) => c.name === "main")]!.env = [{ name: "A", value: "2" }];
    await client.rest.request({
      method: "PATCH",
      path: `/apis/apps/v1/namespaces/${ns.name}/deployments/lists`,
      contentType: "application/strategic-merge-patch+json",
      query: { fieldManager: "kubectl-edit" },
      body: { spec: { template: { spec: { containers: [{ name: "main", env: [{ name: "A", value: "2" }] }] } } } },
    });
    const d = await healing().diff(dep, signal());
    expect(d.state).toBe("drifted");
    expect(d.fields.map((f) => [f.pointer, f.desired, f.live])).toEqual([
      ["/spec/template/spec/containers/0/env/0/value", "1", "2"],
    ]);
  });

  it("ignore rules by JSON pointer per kind hide a field from drift and from the apply", async () => {
    const dep: KubeObject = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "scaled", namespace: ns.name },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: "scaled" } },
        template: {
          metadata: { labels: { app: "scaled" } },
          spec: { containers: [{ name: "c", image: "registry.invalid/c:1" }] },
        },
      },
    };
    const sink = new KubernetesSink({ client, selfHeal: { global: true }, ignore: { Deployment: ["/spec/replicas"] } });
    await sink.applyObject(dep, signal());
    await client.mergePatch(
      { apiVersion: "apps/v1", kind: "Deployment", namespace: ns.name, name: "scaled" },
      { spec: { replicas: 5 } },
      { fieldManager: "autoscaler" },
    );
    expect((await sink.diff(dep, signal())).state).toBe("in-sync");
    expect((await sink.applyObject(dep, signal())).action).toBe("unchanged");
    // A Git change elsewhere in the object is applied without taking replicas back.
    const changed = structuredClone(dep);
    (
      changed["spec"] as { template: { spec: { containers: Array<{ image: string }> } } }
    ).template.spec.containers[0]!.image = "registry.invalid/c:2";
    expect((await sink.applyObject(changed, signal())).action).toBe("configured");
    const live = await client.get({ apiVersion: "apps/v1", kind: "Deployment", namespace: ns.name, name: "scaled" });
    expect((live?.["spec"] as { replicas: number }).replicas).toBe(5);
  });
});
