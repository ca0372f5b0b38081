import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { rbacMain } from "./cli.ts";
import { renderDeviceRbac, renderSharedRbac } from "../../engine/kinds/device-process/agent-rbac.ts";

describe("device RBAC rendering", () => {
  it("limits writes and reads by name to the device's own objects", () => {
    const [role, rb] = renderDeviceRbac({
      device: "tor1-01",
      namespace: "infra",
      deviceProcesses: ["b", "a"],
      secrets: ["regcred"],
    });
    expect(rb).toMatchObject({
      kind: "RoleBinding",
      subjects: [{ kind: "User", name: "bosun-device:tor1-01" }],
      roleRef: { name: "bosun-device-tor1-01" },
    });
    const rules = (role as { rules: { resources: string[]; resourceNames?: string[]; verbs: string[] }[] }).rules;
    expect(rules).toContainEqual({
      apiGroups: ["azure.com"],
      resources: ["deviceprocesses/status"],
      resourceNames: ["a", "b"],
      verbs: ["get", "patch", "update"],
    });
    expect(rules).toContainEqual({
      apiGroups: [""],
      resources: ["secrets"],
      resourceNames: ["regcred"],
      verbs: ["get"],
    });
    expect(rules).toContainEqual({
      apiGroups: ["coordination.k8s.io"],
      resources: ["leases"],
      resourceNames: ["bosun-device-tor1-01"],
      verbs: ["get", "update", "patch"],
    });
    // Nothing else by name-less write verbs except create of events and leases.
    const unnamedWrites = rules.filter((r) => !r.resourceNames && r.verbs.some((v) => v !== "list" && v !== "watch"));
    expect(unnamedWrites.flatMap((r) => r.resources)).toEqual(["events", "leases"]);
  });
  it("deploy/rbac/agent-device-example.yaml is what `bosun-agent rbac` prints for its example command", () => {
    const example = readFileSync(join(import.meta.dirname, "../../deploy/rbac/agent-device-example.yaml"), "utf8");
    const command = /^# Example: bosun-agent rbac (.*)$/m.exec(example)?.[1] ?? "";
    let out = "";
    expect(
      rbacMain(command.split(" "), (s) => {
        out += s;
      }),
    ).toBe(0);
    expect(out).toBe(
      example
        .split("\n")
        .filter((l) => !l.startsWith("#"))
        .join("\n"),
    );
  });

  it("puts the lease rules in the lease namespace when it differs", () => {
    const objs = renderDeviceRbac({
      device: "d",
      namespace: "infra",
      deviceProcesses: [],
      leaseNamespace: "bosun-system",
    });
    expect(objs.map((o) => `${o["kind"] as string}/${(o["metadata"] as { namespace: string }).namespace}`)).toEqual([
      "Role/infra",
      "RoleBinding/infra",
      "Role/bosun-system",
      "RoleBinding/bosun-system",
    ]);
  });
  it("binds bootstrap tokens to CSR creation", () => {
    expect(renderSharedRbac()[0]).toMatchObject({
      roleRef: { name: "system:node-bootstrapper" },
      subjects: [{ kind: "Group", name: "system:bootstrappers:bosun-devices" }],
    });
  });
});
