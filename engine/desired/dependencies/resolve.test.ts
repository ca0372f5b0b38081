import { describe, expect, it } from "vitest";
import type { FleetObject } from "../../model/fleet-object.ts";
import { loadFleet, type DesiredState } from "../load-fleet.ts";
import { dependenciesOf } from "./resolve.ts";

const enc = new TextEncoder();
const checksum = "a".repeat(64);

/** A DeviceProcess in `namespace` with the given `spec.dependsOn` entries (flow mappings). */
const process = (name: string, namespace: string, dependsOn: string[] = []): string => `apiVersion: azure.com/v1alpha1
kind: DeviceProcess
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  deviceRef: {kind: NetworkSwitch, name: tor1-01}
  artifact: {type: oci, url: ghcr.io/a/b:1, checksumSHA256: ${checksum}}
  execution: {backend: systemd, command: [/usr/bin/a]}
${dependsOn.length > 0 ? `  dependsOn:\n${dependsOn.map((d) => `    - ${d}\n`).join("")}` : ""}`;

const configMap = (name: string, namespace: string, annotation?: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\n` +
  (annotation === undefined ? "" : `  annotations:\n    bosun.dev/depends-on: "${annotation}"\n`);

function load(...docs: string[]): DesiredState {
  const result = loadFleet([{ path: "fleet.yaml", bytes: enc.encode(docs.join("---\n")) }]);
  if (!result.ok) throw new Error(result.diagnostics.map((d) => `${d.line}: ${d.code} ${d.message}`).join("\n"));
  return result;
}

function depsOf(desired: DesiredState, kind: string, name: string): string[] {
  const object = desired.objects.find((o) => o.kind === kind && o.name === name) as FleetObject;
  return dependenciesOf(object, desired).map((r) => `${r.apiVersion} ${r.kind} ${r.namespace}/${r.name}`);
}

describe("resolving dependencies against the commit", () => {
  it("defaults the namespace to the depending object's for namespaced kinds; cluster-scoped kinds have none", () => {
    const desired = load(
      process("agent", "infra", ["{kind: ConfigMap, name: settings}", "{kind: Namespace, name: infra}"]),
      configMap("settings", "infra"),
      "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: infra\n",
    );
    expect(depsOf(desired, "DeviceProcess", "agent")).toEqual(["v1 ConfigMap infra/settings", "v1 Namespace /infra"]);
  });

  it("takes an explicit namespace, and an apiVersion of any version of the object's group", () => {
    const desired = load(
      process("agent", "infra", ["{apiVersion: v1, kind: ConfigMap, namespace: shared, name: settings}"]),
      process("b", "infra", ["{apiVersion: azure.com/v2, kind: DeviceProcess, name: agent}"]),
      configMap("settings", "shared"),
    );
    expect(depsOf(desired, "DeviceProcess", "agent")).toEqual(["v1 ConfigMap shared/settings"]);
    expect(depsOf(desired, "DeviceProcess", "b")).toEqual(["azure.com/v1alpha1 DeviceProcess infra/agent"]);
  });

  it("reads the annotation on plain manifests, each dependency once, in declared order", () => {
    const desired = load(
      configMap("app", "apps", "ConfigMap/base, DeviceProcess/infra/agent, ConfigMap/apps/base"),
      configMap("base", "apps"),
      process("agent", "infra"),
    );
    expect(depsOf(desired, "ConfigMap", "app")).toEqual([
      "v1 ConfigMap apps/base",
      "azure.com/v1alpha1 DeviceProcess infra/agent",
    ]);
    expect(depsOf(desired, "ConfigMap", "base")).toEqual([]);
    expect(desired.dependencies?.size).toBe(1);
  });

  it("finds none in a desired state built by hand", () => {
    const desired = load(configMap("app", "apps", "ConfigMap/base"), configMap("base", "apps"));
    const app = desired.objects.find((o) => o.name === "app") as FleetObject;
    const byHand: DesiredState = { objects: desired.objects, approvals: [], config: desired.config };
    expect(dependenciesOf(app, byHand)).toEqual([]);
  });
});
