import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { specsDir } from "../../test/support/specs.ts";
import type { FleetFile } from "../model/fleet-object.ts";
import { loadFleet } from "./load-fleet.ts";
import { readDirectory } from "./read-directory.ts";

const enc = new TextEncoder();
const file = (path: string, text: string, linkTarget?: string): FleetFile =>
  linkTarget === undefined ? { path, bytes: enc.encode(text) } : { path, bytes: new Uint8Array(), linkTarget };

const checksum = "a".repeat(64);
const process = (name: string, extra = ""): string => `apiVersion: azure.com/v1alpha1
kind: DeviceProcess
metadata:
  name: ${name}
spec:
  deviceRef: {kind: NetworkSwitch, name: tor1-01}
  artifact: {type: oci, url: ghcr.io/a/b:1, checksumSHA256: ${checksum}}
  execution: {backend: systemd, command: [/usr/bin/a]}
${extra}`;

describe("loadFleet", () => {
  it("loads the example fleet: every kind, sorted, sources recorded", async () => {
    const result = loadFleet(await readDirectory(join(import.meta.dirname, "../../fleet-repo-example")));
    if (!result.ok) throw new Error(result.diagnostics.map((d) => d.message).join("\n"));
    const kinds = new Set(result.objects.map((o) => o.kind));
    for (const k of [
      "DeviceProcessDeployment",
      "DeviceProcess",
      "FARAgent",
      "TenantCluster",
      "WorkloadCluster",
      "EdgeWorkload",
      "ConfigMap",
      "Namespace",
    ]) {
      expect(kinds, k).toContain(k);
    }
    const keys = result.objects.map((o) => `${o.kind}/${o.namespace}/${o.name}`);
    expect(keys).toEqual([...keys].sort());
    const switchAgent = result.objects.find((o) => o.name === "switch-agent");
    expect(switchAgent?.source).toEqual({ file: "devices/switch-agent.yaml", line: 2, col: 1 });
    expect(result.config.status.branch).toBe("bosun/status");
    // The cluster template is referenced by a WorkloadCluster, not loaded as objects.
    expect(result.objects.some((o) => o.source.file.startsWith("clusters/templates/"))).toBe(false);
  });

  it("applies schema defaults (seed 004's health check thresholds) and the default namespace", () => {
    const result = loadFleet([
      file("bosun.yaml", "apiVersion: bosun.dev/v1alpha1\nkind: BosunConfig\ndefaults:\n  namespace: infra-system\n"),
      file("p.yaml", process("p1", "  healthCheck:\n    exec: {command: [/bin/true]}\n")),
    ]);
    if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
    const [p] = result.objects;
    expect(p?.namespace).toBe("infra-system");
    const spec = p?.body["spec"] as Record<string, Record<string, unknown>>;
    expect(spec["healthCheck"]).toMatchObject({
      periodSeconds: 30,
      timeoutSeconds: 5,
      successThreshold: 1,
      failureThreshold: 3,
    });
    expect(spec["restartPolicy"]).toBe("Always");
    expect(result.config.paths.maxFileBytes).toBe(1024 * 1024);
  });

  it("collects all errors of a commit, not only the first, in a deterministic order", () => {
    const files = [
      file("b.yaml", process("Bad_Name")),
      file("a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ''\n"),
      file("c.yaml", "kind: x: y\n"),
    ];
    const first = loadFleet(files);
    const second = loadFleet([...files].reverse());
    expect(first.ok).toBe(false);
    if (first.ok || second.ok) return;
    expect(first.diagnostics.map((d) => `${d.file} ${d.code}`)).toEqual([
      "a.yaml EMPTY_NAME",
      "b.yaml INVALID_NAME",
      "c.yaml YAML_SYNTAX",
    ]);
    expect(second.diagnostics).toEqual(first.diagnostics);
  });

  it("names both places of a duplicate object", () => {
    const result = loadFleet([file("a.yaml", process("p")), file("dir/b.yaml", `# copy\n${process("p")}`)]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.diagnostics).toHaveLength(1);
    expect(result.diagnostics[0]?.message).toContain("a.yaml:1:1");
    expect(result.diagnostics[0]?.message).toContain("dir/b.yaml:2:1");
  });

  it("follows a symlink that stays inside the repo and refuses one that leaves it", () => {
    const inside = loadFleet([
      file("real/p.yaml", process("p")),
      file("alias.yml", "", "real/p.yaml"),
      file("bosun.yaml", "apiVersion: bosun.dev/v1alpha1\nkind: BosunConfig\npaths:\n  include: ['**/*.yml']\n"),
    ]);
    expect(inside.ok && inside.objects.map((o) => o.source.file)).toEqual(["alias.yml"]);
    const outside = loadFleet([file("dir/x.yaml", "", "../../secrets.yaml")]);
    expect(!outside.ok && outside.diagnostics.map((d) => d.code)).toEqual(["SYMLINK_ESCAPE"]);
  });

  it("ignores files outside the include globs and inside the status folder", () => {
    const result = loadFleet([
      file(
        "bosun.yaml",
        "apiVersion: bosun.dev/v1alpha1\nkind: BosunConfig\npaths:\n  exclude: ['drafts/**']\nstatus:\n  mode: folder\n",
      ),
      file("drafts/broken.yaml", "::: not yaml"),
      file("status/p.yaml", "phase: Ready\n"),
      file("notes.txt", "hello"),
      file("p.yaml", process("p")),
    ]);
    expect(result.ok && result.objects.map((o) => o.name)).toEqual(["p"]);
  });

  it("validates custom resources against an upstream CRD in the repo (Kamaji TenantControlPlane)", () => {
    const crd = readFileSync(join(specsDir(), "kamaji/kamaji.clastix.io_tenantcontrolplanes.yaml"), "utf8");
    const sample = readFileSync(join(specsDir(), "kamaji/kamaji_v1alpha1_tenantcontrolplane.yaml"), "utf8");
    const good = loadFleet([file("crds/tcp.yaml", crd), file("tenants/sample.yaml", sample)]);
    if (!good.ok) throw new Error(good.diagnostics.map((d) => `${d.file}:${d.line} ${d.message}`).join("\n"));
    expect(good.objects.map((o) => o.kind)).toContain("TenantControlPlane");

    const bad = sample.replace(/replicas: \d+/, "replicas: three");
    expect(bad).not.toEqual(sample);
    const result = loadFleet([file("crds/tcp.yaml", crd), file("tenants/sample.yaml", bad)]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const line = bad.split("\n").findIndex((l) => l.includes("replicas: three")) + 1;
    expect(result.diagnostics.map((d) => `${d.file}:${d.line} ${d.code}`)).toEqual([
      `tenants/sample.yaml:${line} WRONG_TYPE`,
    ]);
  });
});
