import { describe, expect, it } from "vitest";
import { objectKey, objectRef, type FleetObject } from "../../model/fleet-object.ts";
import type { ObjectRef } from "../../model/object-ref.ts";
import { dependencyLayers } from "./layers.ts";
import type { DependencyMap } from "./resolve.ts";

const object = (kind: string, namespace: string, name: string): FleetObject => ({
  apiVersion: "fleet.bosun.dev/v1alpha1",
  kind,
  namespace,
  name,
  body: {},
  source: { file: "f.yaml", line: 1, col: 1 },
});

/** A desired state's dependency map from `[dependent, dependency…]` pairs. */
function dependencies(...edges: [FleetObject, ...FleetObject[]][]): { dependencies: DependencyMap } {
  const ref = ({ apiVersion, kind, namespace, name }: FleetObject): ObjectRef => ({
    apiVersion,
    kind,
    namespace,
    name,
  });
  return { dependencies: new Map(edges.map(([from, ...on]) => [objectKey(from), on.map(ref)])) };
}

const names = (layers: FleetObject[][]): string[][] => layers.map((l) => l.map(objectRef));

describe("dependencyLayers", () => {
  const vm = object("FARAgent", "agents", "vm1");
  const node = object("TenantCluster", "tenants", "acme");
  const app = object("EdgeWorkload", "edge", "web");
  const config = object("ConfigMap", "edge", "settings");
  const ns = object("Namespace", "", "edge");

  it("orders VM before node before app, across kinds and backends", () => {
    const layers = dependencyLayers([app, node, vm], dependencies([app, node], [node, vm]));
    expect(names(layers)).toEqual([["FARAgent agents/vm1"], ["TenantCluster tenants/acme"], ["EdgeWorkload edge/web"]]);
  });

  it("puts each object as early as it can go, sorted by kind, namespace, name inside a layer", () => {
    const desired = dependencies([app, node, config], [node, vm], [config, ns]);
    const layers = dependencyLayers([app, config, ns, node, vm], desired);
    expect(names(layers)).toEqual([
      ["FARAgent agents/vm1", "Namespace edge"],
      ["ConfigMap edge/settings", "TenantCluster tenants/acme"],
      ["EdgeWorkload edge/web"],
    ]);
    expect(names(dependencyLayers([vm, node, ns, config, app], desired))).toEqual(names(layers));
  });

  it("has one layer when nothing depends on anything, and none for no objects", () => {
    expect(names(dependencyLayers([node, vm], {}))).toEqual([["FARAgent agents/vm1", "TenantCluster tenants/acme"]]);
    expect(dependencyLayers([], {})).toEqual([]);
  });

  it("layers a subset: dependencies outside it are ignored", () => {
    expect(names(dependencyLayers([app, node], dependencies([app, node], [node, vm])))).toEqual([
      ["TenantCluster tenants/acme"],
      ["EdgeWorkload edge/web"],
    ]);
  });

  it("throws on a cycle, which the loader rejects before anything is layered", () => {
    expect(() => dependencyLayers([app, node, vm], dependencies([app, node], [node, app]))).toThrow(
      "2 objects wait on a cycle (EdgeWorkload edge/web, TenantCluster tenants/acme)",
    );
  });

  it("layers long chains with a fan-in", () => {
    // Speed at 100,000 objects is a benchmark's business (no timed assertions here).
    const n = 20_000;
    const chain = 2_000;
    const objects = Array.from({ length: n }, (_, i) => object("ConfigMap", `ns-${i % 100}`, `cm-${i}`));
    // Ten chains plus a fan-in: the last object depends on every chain's head.
    const edges: [FleetObject, ...FleetObject[]][] = objects.flatMap((o, i) =>
      i % chain === 0 ? [] : [[o, objects[i - 1] as FleetObject] as [FleetObject, FleetObject]],
    );
    edges.push([objects[n - 1] as FleetObject, ...objects.filter((_, i) => i % chain === 0)]);
    const desired = dependencies(...edges);
    const layers = dependencyLayers(objects, desired);
    expect(layers).toHaveLength(chain);
    expect(layers[0]).toHaveLength(10);
    expect(layers.flat()).toHaveLength(n);
  });
});
