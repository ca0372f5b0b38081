import { describe, expect, it } from "vitest";
import {
  EMPTY_INVENTORY,
  entryKey,
  makeInventory,
  massDeletionOptIn,
  nextInventory,
  planPrune,
  type InventoryEntry,
  type LiveFacts,
} from "./index.ts";

const cm = (name: string, namespace = "ns"): InventoryEntry => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  namespace,
  name,
});
const labelled = (): LiveFacts => ({ managedByBosun: true });

describe("inventory", () => {
  it("is sorted, de-duplicated and version independent", () => {
    const inv = makeInventory([
      cm("b"),
      cm("a"),
      { apiVersion: "apps/v1", kind: "Deployment", namespace: "ns", name: "a" },
      cm("a"),
    ]);
    expect(inv.entries.map(entryKey)).toEqual(["apps/Deployment/ns/a", "core/ConfigMap/ns/a", "core/ConfigMap/ns/b"]);
    expect(entryKey({ apiVersion: "apps/v1beta1", kind: "Deployment", namespace: "", name: "x" })).toBe(
      entryKey({ apiVersion: "apps/v1", kind: "Deployment", namespace: "", name: "x" }),
    );
  });
});

describe("planPrune", () => {
  const prev = makeInventory(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"].map((n) => cm(n)));

  it("deletes only previous, undesired, labelled objects", () => {
    const desired = prev.entries.filter((e) => !["a", "b", "c"].includes(e.name));
    const live = (e: InventoryEntry): LiveFacts | undefined =>
      e.name === "b" ? { managedByBosun: false } : e.name === "c" ? undefined : labelled();
    const plan = planPrune(prev, desired, live);
    expect(plan.delete.map((e) => e.name)).toEqual(["a"]);
    expect(plan.skipped.map((s) => [s.entry.name, s.reason])).toEqual([
      ["b", "not-managed-by-bosun"],
      ["c", "already-gone"],
    ]);
    expect(plan.refused).toBeUndefined();
  });

  it("never considers objects outside the previous inventory", () => {
    let asked = 0;
    const plan = planPrune(EMPTY_INVENTORY, [], () => {
      asked++;
      return labelled();
    });
    expect(plan.delete).toEqual([]);
    expect(asked).toBe(0);
  });

  it("refuses more than 30 % by default; exactly 30 % passes", () => {
    const keep7 = prev.entries.slice(3);
    expect(planPrune(prev, keep7, labelled).delete).toHaveLength(3);
    const keep5 = prev.entries.slice(5);
    const refused = planPrune(prev, keep5, labelled);
    expect(refused.delete).toEqual([]);
    expect(refused.refused).toMatchObject({
      type: "MassDeletionRefused",
      wouldDelete: 5,
      managed: 10,
      share: 0.5,
      maxShare: 0.3,
    });
    expect(refused.refused?.message).toContain("bosun.dev/allow-mass-deletion");
  });

  it("honours the opt-in and a configured share", () => {
    const keep5 = prev.entries.slice(5);
    expect(planPrune(prev, keep5, labelled, { allowMassDeletion: true }).delete).toHaveLength(5);
    expect(planPrune(prev, keep5, labelled, { maxDeleteShare: 0.5 }).delete).toHaveLength(5);
    expect(planPrune(prev, keep5, labelled, { maxDeleteShare: 0.49 }).refused?.wouldDelete).toBe(5);
  });

  it("reads the opt-in from bosun.yaml annotations", () => {
    expect(massDeletionOptIn({ "bosun.dev/allow-mass-deletion": "true" })).toBe(true);
    expect(massDeletionOptIn({ "bosun.dev/allow-mass-deletion": "yes" })).toBe(false);
    expect(massDeletionOptIn(undefined)).toBe(false);
  });
});

describe("nextInventory", () => {
  const prev = makeInventory([cm("a"), cm("b"), cm("c"), cm("d")]);

  it("keeps failed deletes and refused candidates, drops deleted and skipped ones, adds applied ones", () => {
    const desired = [cm("d"), cm("new"), cm("failed-apply")];
    const plan = planPrune(prev, desired, (e) => (e.name === "c" ? { managedByBosun: false } : labelled()), {
      allowMassDeletion: true,
    });
    expect(plan.delete.map((e) => e.name)).toEqual(["a", "b"]);
    const next = nextInventory(prev, desired, plan, { applied: [cm("d"), cm("new")], deleted: [cm("a")] });
    expect(next.entries.map((e) => e.name)).toEqual(["b", "d", "new"]);
  });

  it("after a refusal the inventory is unchanged apart from new objects", () => {
    const plan = planPrune(prev, [cm("a")], labelled);
    expect(plan.refused).toBeDefined();
    const next = nextInventory(prev, [cm("a"), cm("z")], plan, { applied: [cm("a"), cm("z")], deleted: [] });
    expect(next.entries.map((e) => e.name)).toEqual(["a", "b", "c", "d", "z"]);
  });
});
