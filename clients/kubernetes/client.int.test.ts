import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestNamespace, kubeClient, type TestNamespace } from "../../test/support/kube.ts";
import type { KubeClient } from "./client.ts";
import { BosunError } from "../../engine/model/errors.ts";
import { InvalidObjectError, KubeApiError } from "./errors.ts";

describe("KubeClient against the lab apiserver", () => {
  let client: KubeClient;
  let ns: TestNamespace;
  beforeAll(async () => {
    client = kubeClient();
    ns = await createTestNamespace(client, "client");
  });
  afterAll(async () => {
    await ns.cleanup();
    client.close();
  });

  it("pages a LIST with limit/continue", async () => {
    for (let i = 0; i < 25; i++) {
      await client.create({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: `cm-${String(i).padStart(2, "0")}`, namespace: ns.name, labels: { page: "yes" } },
        data: { i: String(i) },
      });
    }
    const pages: number[] = [];
    for await (const page of client.listPages("v1", "ConfigMap", {
      namespace: ns.name,
      labelSelector: "page=yes",
      limit: 10,
    }))
      pages.push(page.items.length);
    expect(pages).toEqual([10, 10, 5]);
    const all = await client.list("v1", "ConfigMap", { namespace: ns.name, labelSelector: "page=yes", limit: 7 });
    expect(all.items.map((o) => o.metadata.name)).toEqual(
      Array.from({ length: 25 }, (_, i) => `cm-${String(i).padStart(2, "0")}`),
    );
    expect(all.items.every((o) => o.kind === "ConfigMap" && o.apiVersion === "v1")).toBe(true);
    expect(Number(all.resourceVersion)).toBeGreaterThan(0);
  });

  it("get of a missing object is undefined; an invalid object is a typed KubeApiError", async () => {
    expect(await client.get({ apiVersion: "v1", kind: "ConfigMap", namespace: ns.name, name: "nope" })).toBeUndefined();
    const err = await client
      .create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "Bad_Name", namespace: ns.name } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err).toMatchObject({
      statusCode: 422,
      reason: "Invalid",
      subject: `create ConfigMap ${ns.name}/Bad_Name`,
      code: "KUBE_API",
    });
    expect(err).toBeInstanceOf(BosunError);
  });

  it("refuses a body that is not a Kubernetes object before sending anything", async () => {
    const err = await client
      .apply({ apiVersion: "v1", kind: "ConfigMap", metadata: { namespace: ns.name } }, { fieldManager: "t" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidObjectError);
    expect(err).toMatchObject({ code: "KUBE_INVALID_OBJECT", subject: "apply" });
  });

  it("maps an unknown kind to a NoKindMatch error", async () => {
    await expect(client.get({ apiVersion: "example.com/v1", kind: "Nothing", name: "x" })).rejects.toMatchObject({
      statusCode: 404,
      reason: "NoKindMatch",
    });
  });

  it("takes a rate-limit token for every request", async () => {
    const limited = kubeClient({ qps: 0.001, burst: 3 });
    await limited.get({ apiVersion: "v1", kind: "Namespace", name: ns.name }); // discovery + get = 2
    await limited.rest.request({ method: "GET", path: "/version" }); // 3
    expect(limited.rest.limiter.tryTake()).toBe(false);
    limited.close();
  });

  it("aborts a request with the signal", async () => {
    const ac = new AbortController();
    ac.abort(new Error("cancelled"));
    await expect(client.list("v1", "ConfigMap", { namespace: ns.name, signal: ac.signal })).rejects.toThrow(
      "cancelled",
    );
  });
});
