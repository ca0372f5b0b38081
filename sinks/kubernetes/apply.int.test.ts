import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import type { KubeObject } from "../../clients/kubernetes/types.ts";
import { describeRef } from "../../engine/model/object-ref.ts";
import { createTestNamespace, kubeClient, type TestNamespace } from "../../test/support/kube.ts";
import { bosunCrds, switchAgentDeployment } from "./fixtures.ts";
import { KubernetesSink } from "./sink.ts";

const signal = (): AbortSignal => AbortSignal.timeout(120_000);
const rv = async (c: KubeClient, o: KubeObject): Promise<string | undefined> =>
  (
    await c.get({
      apiVersion: o.apiVersion,
      kind: o.kind,
      name: o.metadata.name,
      ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
    })
  )?.metadata.resourceVersion;

describe("KubernetesSink apply", () => {
  let client: KubeClient;
  let ns: TestNamespace;
  let sink: KubernetesSink;
  beforeAll(async () => {
    client = kubeClient();
    sink = new KubernetesSink({ client });
    ns = await createTestNamespace(client, "apply");
    const crds = await sink.apply(await bosunCrds(), signal());
    expect(crds.filter((e) => e.error !== undefined)).toEqual([]);
  });
  afterAll(async () => {
    await ns.cleanup();
    client.close();
  });

  it("applies CRDs and Namespaces before the objects that need them, then a second pass writes nothing", async () => {
    const group = `${ns.name}.bosun.test`;
    const widgetCrd: KubeObject = {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: `widgets.${group}` },
      spec: {
        group,
        scope: "Namespaced",
        names: { kind: "Widget", plural: "widgets", singular: "widget", listKind: "WidgetList" },
        versions: [
          {
            name: "v1",
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: "object",
                properties: { spec: { type: "object", properties: { size: { type: "integer" } } } },
              },
            },
          },
        ],
      },
    };
    const target = `${ns.name}-target`;
    const desired: KubeObject[] = [
      // Deliberately out of order: the objects come before their CRD and Namespace.
      { apiVersion: `${group}/v1`, kind: "Widget", metadata: { name: "w1", namespace: target }, spec: { size: 3 } },
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "settings", namespace: target },
        data: { a: "1", b: "2" },
      },
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "web", namespace: target },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: "web" } },
          template: {
            metadata: { labels: { app: "web" } },
            spec: {
              containers: [
                {
                  name: "web",
                  image: "registry.invalid/web:1",
                  ports: [{ containerPort: 8080 }],
                  env: [{ name: "MODE", value: "prod" }],
                },
              ],
            },
          },
        },
      },
      switchAgentDeployment(target),
      widgetCrd,
      { apiVersion: "v1", kind: "Namespace", metadata: { name: target } },
    ];
    const first = await sink.apply(desired, signal());
    expect(first.map((e) => [describeRef(e.ref), e.action])).toEqual([
      [`CustomResourceDefinition widgets.${group}`, "created"],
      [`Namespace ${target}`, "created"],
      [`Widget ${target}/w1`, "created"],
      [`ConfigMap ${target}/settings`, "created"],
      [`Deployment ${target}/web`, "created"],
      [`DeviceProcessDeployment ${target}/switch-agent`, "created"],
    ]);
    // The deployment controller writes the Deployment's status on its own; let it settle first
    // (pods stay Pending: there is no scheduler) so resourceVersions only move if Bosun writes.
    for (;;) {
      const d = await client.get({ apiVersion: "apps/v1", kind: "Deployment", namespace: target, name: "web" });
      const st = (d?.["status"] ?? {}) as {
        observedGeneration?: number;
        replicas?: number;
        unavailableReplicas?: number;
      };
      if (st.observedGeneration === d?.metadata.generation && st.replicas === 2 && st.unavailableReplicas === 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const before = await Promise.all(desired.map((o) => rv(client, o)));
    const second = await sink.apply(desired, signal());
    expect(second.map((e) => e.action)).toEqual([
      "unchanged",
      "unchanged",
      "unchanged",
      "unchanged",
      "unchanged",
      "unchanged",
    ]);
    const after = await Promise.all(desired.map((o) => rv(client, o)));
    expect(after).toEqual(before);
    // Everything Bosun applied carries the managed-by label.
    const live = await client.get({ apiVersion: "apps/v1", kind: "Deployment", namespace: target, name: "web" });
    expect(live?.metadata.labels?.["app.kubernetes.io/managed-by"]).toBe("bosun");
    expect(live?.metadata.managedFields?.some((m) => m.manager === "bosun" && m.operation === "Apply")).toBe(true);
    await client.delete({ apiVersion: "v1", kind: "Namespace", name: target });
    await client.delete({
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      name: `widgets.${group}`,
    });
  });

  it("a changed desired object is configured and only then written", async () => {
    const cm: KubeObject = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "changing", namespace: ns.name },
      data: { a: "1", b: "2" },
    };
    expect((await sink.applyObject(cm, signal())).action).toBe("created");
    const changed = { ...cm, data: { a: "1", c: "3" } };
    const e = await sink.applyObject(changed, signal());
    expect(e.action).toBe("configured");
    // b is removed (Bosun owned it, Git dropped it), c is missing from live.
    const fields = e.fields?.map((f) => [f.pointer, f.desired, f.live]);
    expect(fields).toEqual(
      expect.arrayContaining([
        ["/data/b", undefined, "2"],
        ["/data/c", "3", undefined],
      ]),
    );
    const live = await client.get({ apiVersion: "v1", kind: "ConfigMap", namespace: ns.name, name: "changing" });
    expect(live?.["data"]).toEqual({ a: "1", c: "3" });
  });

  it("updates the status subresource, and an identical status is not written", async () => {
    const dpd = switchAgentDeployment(ns.name, "status-demo");
    await sink.applyObject(dpd, signal());
    const status = {
      desiredNumberScheduled: 4,
      currentNumberScheduled: 4,
      numberReady: 3,
      numberAvailable: 3,
      numberUnavailable: 1,
    };
    const withStatus = { ...dpd, status };
    expect((await sink.applyStatus(withStatus, signal())).action).toBe("configured");
    expect((await sink.applyStatus(withStatus, signal())).action).toBe("unchanged");
    const live = await client.get({
      apiVersion: dpd.apiVersion,
      kind: dpd.kind,
      namespace: ns.name,
      name: "status-demo",
    });
    expect(live?.["status"]).toMatchObject(status);
    // A spec apply leaves the status alone.
    expect((await sink.applyObject(dpd, signal())).action).toBe("unchanged");
  });

  it("deletes with Foreground propagation and returns once the object and its dependents are gone", async () => {
    const dep: KubeObject = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "doomed", namespace: ns.name },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: "doomed" } },
        template: {
          metadata: { labels: { app: "doomed" } },
          spec: { containers: [{ name: "c", image: "registry.invalid/c:1" }] },
        },
      },
    };
    await sink.applyObject(dep, signal());
    for (;;) {
      const rs = await client.list("apps/v1", "ReplicaSet", { namespace: ns.name, labelSelector: "app=doomed" });
      if (rs.items.length > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const doomed = { apiVersion: "apps/v1", kind: "Deployment", namespace: ns.name, name: "doomed" };
    const e = await sink.deleteObject(doomed, signal(), "Foreground");
    expect(e).toMatchObject({ action: "deleted", reason: "deleted (Foreground)" });
    expect(
      await client.get({ apiVersion: "apps/v1", kind: "Deployment", namespace: ns.name, name: "doomed" }),
    ).toBeUndefined();
    expect(
      (await client.list("apps/v1", "ReplicaSet", { namespace: ns.name, labelSelector: "app=doomed" })).items,
    ).toEqual([]);
    const [again] = await sink.delete([doomed], signal());
    expect(again).toMatchObject({ action: "skipped", reason: "already gone" });
  });

  it("reports an API failure as a skipped entry with a typed error, and goes on with the other objects", async () => {
    const bad: KubeObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "Bad_Name", namespace: ns.name } };
    const good: KubeObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "good", namespace: ns.name } };
    const [e, ok] = await sink.apply([bad, good], signal());
    expect(e?.action).toBe("skipped");
    expect(e?.reason).toMatch(/^Invalid: /);
    const cause = { name: "KubeApiError", statusCode: 422 };
    expect(e?.error).toMatchObject({ name: "SinkError", kind: "permanent", code: "SINK_PERMANENT", cause });
    expect(ok?.action).toBe("created");
  });

  it("classifies failures: a missing namespace or an unserved kind is permanent, a field conflict a conflict", async () => {
    const inMissing = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x", namespace: `${ns.name}-absent` } };
    const [noNs] = await sink.apply([inMissing], signal());
    expect(noNs?.error).toMatchObject({ kind: "permanent", cause: { statusCode: 404 } });
    const unserved = { apiVersion: "example.com/v1", kind: "Nothing", metadata: { name: "x", namespace: ns.name } };
    const [noKind] = await sink.apply([unserved], signal());
    expect(noKind?.error).toMatchObject({ kind: "permanent", cause: { reason: "NoKindMatch" } });
    // Self-heal off: a Git change to a field another manager took is refused by the server, not forced.
    const strict = new KubernetesSink({ client, selfHeal: { global: false } });
    const cm = (v: string): KubeObject => ({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "contested", namespace: ns.name },
      data: { v },
    });
    await strict.applyObject(cm("1"), signal());
    await client.apply({ ...cm("theirs") }, { fieldManager: "other-controller", force: true });
    const e = await strict.applyObject(cm("2"), signal());
    expect(e).toMatchObject({ action: "skipped", error: { kind: "conflict", code: "SINK_CONFLICT" } });
    expect(e.reason).toMatch(/^Conflict: /);
  });
});
