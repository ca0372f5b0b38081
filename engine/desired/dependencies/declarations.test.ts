import { describe, expect, it } from "vitest";
import { builtinKinds } from "../../kinds/builtin.ts";
import type { FleetObject } from "../../model/fleet-object.ts";
import { ANNOTATION_POINTER, declaredDependencies, declaresDependsOn } from "./declarations.ts";

const object = (apiVersion: string, kind: string, body: Record<string, unknown>): FleetObject => ({
  apiVersion,
  kind,
  namespace: "infra",
  name: "x",
  body: { apiVersion, kind, ...body },
  source: { file: "x.yaml", line: 1, col: 1 },
});

describe("declarations", () => {
  it("every applied Bosun kind declares spec.dependsOn; inventory and engine-only kinds do not", () => {
    for (const r of builtinKinds.registrations) {
      expect(declaresDependsOn(builtinKinds, r.apiVersion, r.kind), r.kind).toBe(r.role === "applied");
    }
    expect(declaresDependsOn(builtinKinds, "apps/v1", "Deployment")).toBe(false);
  });

  it("reads spec.dependsOn entries, then the annotation's, with where each is written", () => {
    const dp = object("azure.com/v1alpha1", "DeviceProcess", {
      metadata: { name: "x", annotations: { "bosun.dev/depends-on": "Namespace/infra" } },
      spec: {
        dependsOn: [
          { kind: "FARAgent", name: "vm1" },
          { apiVersion: "v1", kind: "ConfigMap", namespace: "cfg", name: "c" },
        ],
      },
    });
    const { declarations, problems } = declaredDependencies(dp, builtinKinds);
    expect(problems).toEqual([]);
    expect(declarations).toEqual([
      { kind: "FARAgent", name: "vm1", pointer: "/spec/dependsOn/0", where: "spec.dependsOn[0]" },
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        namespace: "cfg",
        name: "c",
        pointer: "/spec/dependsOn/1",
        where: "spec.dependsOn[1]",
      },
      {
        kind: "Namespace",
        name: "infra",
        pointer: ANNOTATION_POINTER,
        where: 'annotation bosun.dev/depends-on "Namespace/infra"',
      },
    ]);
    expect(ANNOTATION_POINTER).toBe("/metadata/annotations/bosun.dev~1depends-on");
  });

  it("leaves a kind's own spec.dependsOn alone (Flux's Kustomization) but reads the annotation on any kind", () => {
    const kustomization = object("kustomize.toolkit.fluxcd.io/v1", "Kustomization", {
      metadata: { name: "apps", annotations: { "bosun.dev/depends-on": "ConfigMap/x" } },
      spec: { dependsOn: [{ name: "infra" }] },
    });
    expect(declaredDependencies(kustomization, builtinKinds).declarations.map((d) => d.where)).toEqual([
      'annotation bosun.dev/depends-on "ConfigMap/x"',
    ]);
  });

  it("refuses an annotation that is not a string", () => {
    const cm = object("v1", "ConfigMap", { metadata: { name: "x", annotations: { "bosun.dev/depends-on": 3 } } });
    expect(declaredDependencies(cm, builtinKinds).problems).toEqual([
      { pointer: ANNOTATION_POINTER, message: "annotation bosun.dev/depends-on must be a string (quote it)" },
    ]);
  });
});
