import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import { bosunCrds } from "../../sinks/kubernetes/fixtures.ts";
import { KubernetesSink } from "../../sinks/kubernetes/sink.ts";
import { createTestNamespace, kubeClient, type TestNamespace } from "../../test/support/kube.ts";
import { KubeLiveSource } from "./live-source.ts";

describe("KubeLiveSource", () => {
  let client: KubeClient;
  let ns: TestNamespace;
  beforeAll(async () => {
    client = kubeClient();
    await new KubernetesSink({ client }).applyAll(await bosunCrds());
    ns = await createTestNamespace(client, "source");
  });
  afterAll(async () => {
    await ns.cleanup();
    client.close();
  });

  it("reads device inventory and follows new devices", async () => {
    await client.create({ apiVersion: "azure.com/v1alpha1", kind: "NetworkSwitch", metadata: { name: "tor1-01", namespace: ns.name, labels: { role: "tor" } }, spec: { rack: "r1", model: "sn2700" } });
    const ac = new AbortController();
    const source = new KubeLiveSource(client, { signal: ac.signal, namespace: ns.name });
    await source.start();
    expect(source.devices()).toEqual([{ kind: "NetworkSwitch", namespace: ns.name, name: "tor1-01", labels: { role: "tor" }, spec: { rack: "r1", model: "sn2700" } }]);
    await client.create({ apiVersion: "azure.com/v1alpha1", kind: "DPU", metadata: { name: "dpu-1", namespace: ns.name }, spec: { arch: "arm64" } });
    await source.cache.until(() => source.devices().length === 2);
    expect(source.devices().map((d) => `${d.kind}/${d.name}`)).toEqual(["NetworkSwitch/tor1-01", "DPU/dpu-1"]);
    ac.abort();
    await source.cache.stopped();
  });
});
