import { describe, expect, it } from "vitest";
import { builtinKinds } from "../../kinds/builtin.ts";
import type { FleetObject } from "../../model/fleet-object.ts";
import { withoutDependsOn } from "./strip.ts";

const object = (apiVersion: string, kind: string, spec: Record<string, unknown>): FleetObject => ({
  apiVersion,
  kind,
  namespace: "x",
  name: "y",
  source: { file: "f.yaml", line: 1, col: 1 },
  body: { apiVersion, kind, metadata: { name: "y", annotations: { "bosun.dev/depends-on": "ConfigMap/c" } }, spec },
});

describe("withoutDependsOn", () => {
  it("drops Bosun's spec.dependsOn and keeps the rest, the annotation included, without changing the input", () => {
    const far = object("agents.tinkerbell.io/v1alpha1", "FARAgent", {
      taskId: "t",
      dependsOn: [{ kind: "ConfigMap", name: "c" }],
    });
    expect(withoutDependsOn(far, builtinKinds)).toEqual({ ...far.body, spec: { taskId: "t" } });
    expect((far.body["spec"] as Record<string, unknown>)["dependsOn"]).toHaveLength(1);
  });

  it("keeps a kind's own spec.dependsOn (Flux) and returns bodies without one as they are", () => {
    const flux = object("kustomize.toolkit.fluxcd.io/v1", "Kustomization", { dependsOn: [{ name: "infra" }] });
    expect(withoutDependsOn(flux, builtinKinds)).toBe(flux.body);
    const far = object("agents.tinkerbell.io/v1alpha1", "FARAgent", { taskId: "t" });
    expect(withoutDependsOn(far, builtinKinds)).toBe(far.body);
  });
});
