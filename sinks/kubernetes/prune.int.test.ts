import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import type { KubeObject } from "../../clients/kubernetes/types.ts";
import { createLogger } from "../../engine/log/logger.ts";
import { describeRef } from "../../engine/model/object-ref.ts";
import { backendPass, type BackendPassOptions } from "../../engine/reconcile/backend-pass.ts";
import type { Backend, Change } from "../../engine/reconcile/ports.ts";
import { createTestNamespace, kubeClient, type TestNamespace } from "../../test/support/kube.ts";
import { kubernetesBackend, type KubernetesBackendOptions } from "./backend.ts";
import { INVENTORY_CONFIGMAP } from "./inventory-store.ts";

const signal = (): AbortSignal => AbortSignal.timeout(120_000);
const PASS = { prune: true, maxDeletionShare: 0.3, allowMassDeletion: false };
const LEFT_ALONE = { action: "skipped", reason: "not managed by bosun: left alone" };

describe("inventory and prune (the generic backend pass) against the lab apiserver", () => {
  let client: KubeClient;
  let ns: TestNamespace;
  const logger = createLogger({ level: "silent" });
  /** A fresh backend instance each time: the inventory is read back from the ConfigMap in the test namespace. */
  const backend = (opts: Partial<KubernetesBackendOptions> = {}): Backend =>
    kubernetesBackend({ client, logger, stateNamespace: ns.name, ...opts });
  const pass = (b: Backend, desired: readonly KubeObject[], opts: Partial<BackendPassOptions> = {}) =>
    backendPass(b, desired, { ...PASS, signal: signal(), ...opts });
  const cmRef = (name: string) => ({ apiVersion: "v1", kind: "ConfigMap", namespace: ns.name, name });
  const cm = (i: number): KubeObject => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: `obj-${String(i).padStart(2, "0")}`, namespace: ns.name },
    data: { i: String(i) },
  });
  const exists = async (name: string): Promise<boolean> => (await client.get(cmRef(name))) !== undefined;
  const inventory = async (b: Backend): Promise<string[]> =>
    (await b.inventory.load(b.name, signal())).entries.map((e) => e.name);
  const deleted = (changes: readonly Change[]): string[] =>
    changes.filter((e) => e.action === "deleted").map((e) => describeRef(e.ref));

  beforeAll(async () => {
    client = kubeClient();
    ns = await createTestNamespace(client, "prune");
  });
  afterAll(async () => {
    await ns.cleanup();
    client.close();
  });

  it("prunes what left the desired set, never an unlabelled look-alike, and guards mass deletion", async () => {
    const all = Array.from({ length: 11 }, (_, i) => cm(i));
    // A look-alike nobody applied through Bosun: same kind, same namespace, no managed-by label.
    await client.create({ ...cm(99), metadata: { name: "obj-lookalike", namespace: ns.name } });

    const p1 = await pass(backend(), all);
    expect(p1.changes.every((e) => e.action === "created")).toBe(true);
    expect(await inventory(backend())).toEqual(all.map((o) => o.metadata.name));

    // 1. Removing one object (1 of 11) prunes it.
    const p2 = await pass(backend(), all.slice(1));
    expect(deleted(p2.changes)).toEqual([`ConfigMap ${ns.name}/obj-00`]);
    expect(await exists("obj-00")).toBe(false);
    expect(await inventory(backend())).not.toContain("obj-00");
    expect(p2.changes.filter((e) => e.action === "unchanged")).toHaveLength(10);

    // 2. Removing half of the remaining 10 in one commit is refused and reported; nothing is deleted.
    const keep = all.slice(1, 6);
    const before = await inventory(backend());
    const p3 = await pass(backend(), keep);
    expect(p3.pruneRefused).toMatch(/^MassDeletionRefused: refusing to delete 5 of 10 managed objects \(50% > 30%\)/);
    expect(deleted(p3.changes)).toEqual([]);
    expect(p3.changes.filter((e) => e.reason.startsWith("MassDeletionRefused"))).toHaveLength(5);
    for (let i = 6; i <= 10; i++) expect(await exists(`obj-${String(i).padStart(2, "0")}`)).toBe(true);
    expect(await inventory(backend())).toEqual(before);

    // 3. The same commit with the opt-in deletes them.
    const p4 = await pass(backend(), keep, { allowMassDeletion: true });
    expect(p4.pruneRefused).toBeUndefined();
    expect(deleted(p4.changes)).toHaveLength(5);
    expect(await inventory(backend())).toEqual(keep.map((o) => o.metadata.name));

    // 4. An inventory object whose live copy lost the label is left alone and dropped from the inventory.
    const unmark = { metadata: { labels: { "app.kubernetes.io/managed-by": null } } };
    await client.mergePatch(cmRef("obj-05"), unmark, { fieldManager: "kubectl-edit" });
    const p5 = await pass(backend(), all.slice(1, 5));
    expect(p5.changes.find((e) => e.ref.name === "obj-05")).toMatchObject(LEFT_ALONE);
    expect(await exists("obj-05")).toBe(true);
    expect(await inventory(backend())).toEqual(["obj-01", "obj-02", "obj-03", "obj-04"]);

    // The look-alike was never in the inventory and is untouched throughout.
    expect(await exists("obj-lookalike")).toBe(true);
  });

  it("a delete that does not finish stays in the inventory, is retried; each backend keeps its key", async () => {
    const held: KubeObject = { ...cm(50), metadata: { ...cm(50).metadata, finalizers: ["bosun.test/hold"] } };
    const others = [cm(51), cm(52), cm(53)];
    const name = "finalizers";
    await pass(backend({ name }), [held, ...others]);
    const p2 = await pass(backend({ name, deleteTimeoutMs: 300 }), others);
    const entry = p2.changes.find((e) => e.ref.name === "obj-50");
    const timedOut = { kind: "transient", cause: { name: "WaitTimeoutError", code: "WAIT_TIMEOUT" } };
    expect(entry).toMatchObject({ action: "skipped", error: timedOut });
    expect(entry?.reason).toMatch(/^delete failed/);
    expect(await inventory(backend({ name }))).toContain("obj-50");
    // The finalizer is released; the next pass sees the object gone and drops it.
    await client.mergePatch(cmRef("obj-50"), { metadata: { finalizers: null } });
    while (await exists("obj-50")) await new Promise((r) => setTimeout(r, 50));
    await pass(backend({ name }), others);
    expect(await inventory(backend({ name }))).toEqual(["obj-51", "obj-52", "obj-53"]);
    // Both backends' inventories live side by side in the one ConfigMap.
    const stored = await client.get(cmRef(INVENTORY_CONFIGMAP));
    const keys = Object.keys((stored?.["data"] ?? {}) as Record<string, string>).sort();
    expect(keys).toEqual(["inventory.finalizers.json", "inventory.json"]);
    expect(await inventory(backend())).toEqual(["obj-01", "obj-02", "obj-03", "obj-04"]);
  });
});
