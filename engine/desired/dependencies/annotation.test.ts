import { describe, expect, it } from "vitest";
import { parseDependsOnAnnotation } from "./annotation.ts";

describe("parseDependsOnAnnotation", () => {
  it("reads Kind/name and Kind/namespace/name, comma-separated, whitespace and a trailing comma ignored", () => {
    expect(parseDependsOnAnnotation(" TenantCluster/tenants/acme ,ConfigMap/settings, ")).toEqual({
      entries: [
        { kind: "TenantCluster", namespace: "tenants", name: "acme", text: "TenantCluster/tenants/acme" },
        { kind: "ConfigMap", name: "settings", text: "ConfigMap/settings" },
      ],
      problems: [],
    });
    expect(parseDependsOnAnnotation("")).toEqual({ entries: [], problems: [] });
  });

  it("keeps names Kubernetes allows beyond DNS labels (ClusterRole system:aggregate-to-edit)", () => {
    expect(parseDependsOnAnnotation("ClusterRole/system:aggregate-to-edit").entries).toEqual([
      { kind: "ClusterRole", name: "system:aggregate-to-edit", text: "ClusterRole/system:aggregate-to-edit" },
    ]);
  });

  it.each([
    ["ConfigMap", "is not Kind/name or Kind/namespace/name"],
    ["v1/ConfigMap/infra/settings", "takes no apiVersion"],
    ["ConfigMap//settings", "empty part or whitespace"],
    ["ConfigMap/my settings", "empty part or whitespace"],
    ["1ConfigMap/settings", "does not start with a kind"],
  ])("refuses %j, saying why", (value, why) => {
    const parsed = parseDependsOnAnnotation(value);
    expect(parsed.entries).toEqual([]);
    expect(parsed.problems).toHaveLength(1);
    expect(parsed.problems[0]).toContain(why);
  });

  it("reports every malformed entry and keeps the good ones", () => {
    const parsed = parseDependsOnAnnotation("ConfigMap/a, bad, Secret/x/y/z, Namespace/infra");
    expect(parsed.entries.map((e) => e.text)).toEqual(["ConfigMap/a", "Namespace/infra"]);
    expect(parsed.problems).toHaveLength(2);
  });
});
