import { describe, expect, it } from "vitest";
import { LiveStore } from "../../engine/kinds/device-process-deployment/live-store.ts";
import { ingest } from "../../sources/kubernetes/live-records.ts";

const device = (namespace: string, name: string, rack: string) => ({
  apiVersion: "azure.com/v1alpha1",
  kind: "NetworkSwitch",
  metadata: { name, namespace, labels: { rack } },
});

describe("the live store's device inventory", () => {
  it("keeps a device when a same-named one in another namespace is deleted, and lists each name once", () => {
    const store = new LiveStore();
    ingest(store, "ADDED", device("old", "tor1-01", "r1"));
    ingest(store, "ADDED", device("new", "tor1-01", "r1"));
    ingest(store, "ADDED", device("new", "tor1-02", "r1"));
    expect(store.devices().value.map((d) => d.name)).toEqual(["tor1-01", "tor1-02"]);
    const before = store.devices().version;
    // The old namespace is deleted: its devices go, the new namespace's stay.
    ingest(store, "DELETED", device("old", "tor1-01", "r1"));
    expect(store.devices().value.map((d) => d.name)).toEqual(["tor1-01", "tor1-02"]);
    expect(store.devices().version).toBeGreaterThan(before);
    ingest(store, "DELETED", device("new", "tor1-01", "r1"));
    expect(store.devices().value.map((d) => d.name)).toEqual(["tor1-02"]);
  });
});
