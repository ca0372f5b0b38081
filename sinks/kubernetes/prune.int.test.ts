import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import type { KubeObject } from "../../clients/kubernetes/types.ts";
import { EMPTY_INVENTORY, type Inventory } from "../../engine/inventory/index.ts";
import { createTestNamespace, kubeClient, type TestNamespace } from "../../test/support/kube.ts";
import { reconcileSet } from "./prune.ts";
import { KubernetesSink } from "./sink.ts";

describe("inventory and prune against the lab apiserver", () => {
  let client: KubeClient;
  let ns: TestNamespace;
  let sink: KubernetesSink;
  const cm = (i: number): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `obj-${String(i).padStart(2, "0")}`, namespace: ns.name }, data: { i: String(i) } });
  const exists = async (name: string): Promise<boolean> => (await client.get({ apiVersion: "v1", kind: "ConfigMap", namespace: ns.name, name })) !== undefined;
  const names = (inv: Inventory): string[] => inv.entries.map((e) => e.name);

  beforeAll(async () => {
    client = kubeClient();
    sink = new KubernetesSink({ client });
    ns = await createTestNamespace(client, "prune");
  });
  afterAll(async () => {
    await ns.cleanup();
    client.close();
  });

  it("prunes what left the desired set, never an unlabelled look-alike, and guards mass deletion", async () => {
    const all = Array.from({ length: 11 }, (_, i) => cm(i));
    // A look-alike nobody applied through Bosun: same kind, same namespace, no managed-by label.
    await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "obj-lookalike", namespace: ns.name }, data: { i: "x" } });

    const p1 = await reconcileSet(sink, client, all, EMPTY_INVENTORY);
    expect(p1.entries.every((e) => e.action === "created")).toBe(true);
    expect(names(p1.inventory)).toEqual(all.map((o) => o.metadata.name));

    // 1. Removing one object (1 of 11) prunes it.
    const p2 = await reconcileSet(sink, client, all.slice(1), p1.inventory);
    expect(p2.entries.filter((e) => e.action === "deleted").map((e) => e.subject)).toEqual([`ConfigMap ${ns.name}/obj-00`]);
    expect(await exists("obj-00")).toBe(false);
    expect(names(p2.inventory)).not.toContain("obj-00");
    expect(p2.entries.filter((e) => e.action === "unchanged")).toHaveLength(10);

    // 2. Removing half of the remaining 10 in one commit is refused and reported; nothing is deleted.
    const keep = all.slice(1, 6);
    const p3 = await reconcileSet(sink, client, keep, p2.inventory);
    expect(p3.prune.refused).toMatchObject({ type: "MassDeletionRefused", wouldDelete: 5, managed: 10, share: 0.5, maxShare: 0.3 });
    expect(p3.entries.filter((e) => e.action === "deleted")).toEqual([]);
    expect(p3.entries.filter((e) => e.reason.startsWith("MassDeletionRefused"))).toHaveLength(5);
    for (let i = 6; i <= 10; i++) expect(await exists(`obj-${String(i).padStart(2, "0")}`)).toBe(true);
    expect(names(p3.inventory)).toEqual(names(p2.inventory));

    // 3. The same commit with the opt-in deletes them.
    const p4 = await reconcileSet(sink, client, keep, p3.inventory, { policy: { allowMassDeletion: true } });
    expect(p4.prune.refused).toBeUndefined();
    expect(p4.entries.filter((e) => e.action === "deleted")).toHaveLength(5);
    expect(names(p4.inventory)).toEqual(keep.map((o) => o.metadata.name));

    // 4. An inventory object whose live copy lost the label is left alone and dropped from the inventory.
    await client.mergePatch({ apiVersion: "v1", kind: "ConfigMap", namespace: ns.name, name: "obj-05" },
      { metadata: { labels: { "app.kubernetes.io/managed-by": null } } }, { fieldManager: "kubectl-edit" });
    const p5 = await reconcileSet(sink, client, all.slice(1, 5), p4.inventory);
    expect(p5.entries.find((e) => e.subject.endsWith("/obj-05"))).toMatchObject({ action: "skipped", reason: "not managed by bosun: left alone" });
    expect(await exists("obj-05")).toBe(true);
    expect(names(p5.inventory)).toEqual(["obj-01", "obj-02", "obj-03", "obj-04"]);

    // The look-alike was never in the inventory and is untouched throughout.
    expect(await exists("obj-lookalike")).toBe(true);
  });

  it("a delete that does not finish stays in the inventory and is retried", async () => {
    const held: KubeObject = { ...cm(50), metadata: { ...cm(50).metadata, finalizers: ["bosun.test/hold"] } };
    const other = cm(51);
    const other2 = cm(52);
    const other3 = cm(53);
    const p1 = await reconcileSet(sink, client, [held, other, other2, other3], EMPTY_INVENTORY);
    const p2 = await reconcileSet(sink, client, [other, other2, other3], p1.inventory, { deleteTimeoutMs: 300 });
    const entry = p2.entries.find((e) => e.subject.endsWith("/obj-50"));
    expect(entry?.action).toBe("skipped");
    expect(entry?.reason).toMatch(/^delete failed/);
    expect(names(p2.inventory)).toContain("obj-50");
    // The finalizer is released; the next pass sees the object gone and drops it.
    await client.mergePatch({ apiVersion: "v1", kind: "ConfigMap", namespace: ns.name, name: "obj-50" }, { metadata: { finalizers: null } });
    for (;;) {
      if (!(await exists("obj-50"))) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const p3 = await reconcileSet(sink, client, [other, other2, other3], p2.inventory);
    expect(names(p3.inventory)).toEqual(["obj-51", "obj-52", "obj-53"]);
  });
});
