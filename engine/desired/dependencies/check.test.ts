import { describe, expect, it } from "vitest";
import { formatDiagnostic, type Diagnostic } from "../../model/diagnostic.ts";
import { loadFleet } from "../load-fleet.ts";

const enc = new TextEncoder();

/** A ConfigMap in namespace `apps` whose annotation lists its dependencies. */
const configMap = (name: string, dependsOn?: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: apps\n` +
  (dependsOn === undefined ? "" : `  annotations:\n    bosun.dev/depends-on: "${dependsOn}"\n`);

/** An EdgeWorkload in namespace `edge` with `spec.dependsOn` entries written as flow mappings. */
const workload = (name: string, dependsOn: string[]): string => `apiVersion: fleet.bosun.dev/v1alpha1
kind: EdgeWorkload
metadata: {name: ${name}, namespace: edge}
spec:
  fleet: stores
  containers: [{name: app, image: quay.io/a/b:1}]
  dependsOn:
${dependsOn.map((d) => `    - ${d}\n`).join("")}`;

function problems(files: Record<string, string>): Diagnostic[] {
  const result = loadFleet(Object.entries(files).map(([path, text]) => ({ path, bytes: enc.encode(text) })));
  if (result.ok) throw new Error("expected the commit to be rejected");
  return result.diagnostics;
}

/** 1-based line of the first line of `text` containing `needle`. */
function lineOf(text: string, needle: string): number {
  return text.split("\n").findIndex((l) => l.includes(needle)) + 1;
}

describe("the loader's dependency rules", () => {
  it("accepts a commit whose dependencies all resolve, without cycles", () => {
    const text = [configMap("a", "ConfigMap/b"), configMap("b", "ConfigMap/c"), configMap("c")].join("---\n");
    expect(loadFleet([{ path: "cm.yaml", bytes: enc.encode(text) }]).ok).toBe(true);
  });

  it("names an unknown dependency at its entry, with the nearest objects that exist", () => {
    const web = workload("web", [
      "{kind: ConfigMap, name: settings}",
      "{kind: ConfigMap, namespace: apps, name: setings}",
      "{kind: Secret, name: settings}",
      "{kind: TenantCluster, name: acme}",
      "{apiVersion: apps/v1, kind: ConfigMap, namespace: apps, name: settings}",
      "{kind: Namespace, namespace: edge, name: edge}",
    ]);
    const found = problems({
      "web.yaml": web,
      "cm.yaml": `${configMap("settings")}---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: edge\n`,
    });
    const line = (entry: string): number => lineOf(web, entry);
    expect(found.map((d) => `${d.file}:${d.line} ${d.code}`)).toEqual([
      `web.yaml:${line("name: settings}")} UNKNOWN_DEPENDENCY`,
      `web.yaml:${line("name: setings}")} UNKNOWN_DEPENDENCY`,
      `web.yaml:${line("kind: Secret")} UNKNOWN_DEPENDENCY`,
      `web.yaml:${line("kind: TenantCluster")} UNKNOWN_DEPENDENCY`,
      `web.yaml:${line("apiVersion: apps/v1")} UNKNOWN_DEPENDENCY`,
      `web.yaml:${line("kind: Namespace")} UNKNOWN_DEPENDENCY`,
    ]);
    expect(found[0]?.message).toBe(
      "EdgeWorkload edge/web: spec.dependsOn[0] names ConfigMap edge/settings, which is not among the objects of " +
        "this commit; there is ConfigMap apps/settings; name its namespace",
    );
    expect(found.map((d) => d.message.replace(/^.*? this commit; /, ""))).toEqual([
      "there is ConfigMap apps/settings; name its namespace",
      "no ConfigMap is named setings in any namespace (ConfigMap in apps: settings); " +
        "add it to the repo or fix the name",
      "there is ConfigMap apps/settings; fix the kind",
      "no TenantCluster is in this commit; add it (a dependency must be in the same commit) or fix the kind",
      "there is ConfigMap apps/settings with apiVersion v1; fix the apiVersion or leave it out",
      "Namespace edge is cluster-scoped; leave the namespace out",
    ]);
    expect(found.every((d) => d.col === 7)).toBe(true);
  });

  it("refuses a malformed annotation at the annotation's line", () => {
    const text = configMap("a", "ConfigMap, v1/ConfigMap/apps/b");
    const found = problems({ "a.yaml": text });
    expect(found.map((d) => `${d.line} ${d.code} ${d.pointer}`)).toEqual([
      `${lineOf(text, "depends-on")} INVALID_VALUE /metadata/annotations/bosun.dev~1depends-on`,
      `${lineOf(text, "depends-on")} INVALID_VALUE /metadata/annotations/bosun.dev~1depends-on`,
    ]);
    expect(found[0]?.message).toContain(
      'ConfigMap apps/a: annotation bosun.dev/depends-on: "ConfigMap" is not Kind/name',
    );
  });

  it("refuses an object depending on itself", () => {
    const text = workload("web", ["{kind: EdgeWorkload, name: web}"]);
    const [self, ...rest] = problems({ "web.yaml": text });
    expect(rest).toEqual([]);
    expect(self && formatDiagnostic(self)).toBe(
      `web.yaml:${lineOf(text, "kind: EdgeWorkload, name")}:7: DEPENDENCY_CYCLE ` +
        "EdgeWorkload edge/web: spec.dependsOn[0] " +
        "names the object itself; remove it (an object cannot wait for itself)",
    );
  });

  it("names a 2-cycle at each object's own entry, each from itself", () => {
    const a = workload("a", ["{kind: ConfigMap, namespace: apps, name: b}"]);
    const b = configMap("b", "EdgeWorkload/edge/a");
    const found = problems({ "a.yaml": a, "b.yaml": b });
    expect(found.map((d) => `${d.file}:${d.line} ${d.code}`)).toEqual([
      `a.yaml:${lineOf(a, "name: b}")} DEPENDENCY_CYCLE`,
      `b.yaml:${lineOf(b, "depends-on")} DEPENDENCY_CYCLE`,
    ]);
    expect(found[0]?.message).toBe(
      "EdgeWorkload edge/a: spec.dependsOn[0] is on a dependency cycle: EdgeWorkload edge/a → ConfigMap apps/b → " +
        "EdgeWorkload edge/a; none of them can become Ready first: remove one of these dependencies",
    );
    expect(found[1]?.message).toContain(
      'annotation bosun.dev/depends-on "EdgeWorkload/edge/a" is on a dependency cycle: ' +
        "ConfigMap apps/b → EdgeWorkload edge/a → ConfigMap apps/b;",
    );
  });

  it("names a 3-cycle in order for every member, and nothing for the objects that only lead into it", () => {
    const text = [
      configMap("a", "ConfigMap/b"),
      configMap("b", "ConfigMap/c"),
      configMap("c", "ConfigMap/a"),
      configMap("d", "ConfigMap/a"),
    ].join("---\n");
    const found = problems({ "cm.yaml": text });
    const annotationLines = text.split("\n").flatMap((l, i) => (l.includes("depends-on") ? [i + 1] : []));
    expect(found.map((d) => `${d.line} ${d.code}`)).toEqual(
      annotationLines.slice(0, 3).map((l) => `${l} DEPENDENCY_CYCLE`),
    );
    expect(found.map((d) => d.message.split("cycle: ")[1]?.split(";")[0])).toEqual([
      "ConfigMap apps/a → ConfigMap apps/b → ConfigMap apps/c → ConfigMap apps/a",
      "ConfigMap apps/b → ConfigMap apps/c → ConfigMap apps/a → ConfigMap apps/b",
      "ConfigMap apps/c → ConfigMap apps/a → ConfigMap apps/b → ConfigMap apps/c",
    ]);
  });

  it("flags every entry on a cycle when cycles share objects, each with its shortest way back", () => {
    // a → b → a and a → c → a: a's two entries are both on a cycle.
    const text = [
      configMap("a", "ConfigMap/b, ConfigMap/c"),
      configMap("b", "ConfigMap/a"),
      configMap("c", "ConfigMap/a"),
    ];
    const found = problems({ "cm.yaml": text.join("---\n") });
    expect(found.map((d) => d.message.split("cycle: ")[1]?.split(";")[0])).toEqual([
      "ConfigMap apps/a → ConfigMap apps/b → ConfigMap apps/a",
      "ConfigMap apps/a → ConfigMap apps/c → ConfigMap apps/a",
      "ConfigMap apps/b → ConfigMap apps/a → ConfigMap apps/b",
      "ConfigMap apps/c → ConfigMap apps/a → ConfigMap apps/c",
    ]);
  });

  it("checks a long ring, naming long cycles by their start and the way back", () => {
    // Speed at scale is a benchmark's business (no timed assertions here); this checks the verdicts on a long cycle.
    const n = 4_000;
    const docs = Array.from({ length: n }, (_, i) => configMap(`cm-${i}`, `ConfigMap/cm-${(i + 1) % n}`));
    const files = Object.fromEntries(
      Array.from({ length: n / 500 }, (_, f) => [`ring-${f}.yaml`, docs.slice(f * 500, (f + 1) * 500).join("---\n")]),
    );
    const found = problems(files);
    expect(found).toHaveLength(n);
    expect(found.every((d) => d.code === "DEPENDENCY_CYCLE")).toBe(true);
    const names = Array.from({ length: 10 }, (_, k) => `ConfigMap apps/cm-${k + 5}`).join(" → ");
    expect(found.find((d) => d.message.startsWith("ConfigMap apps/cm-5:"))?.message).toContain(
      `cycle: ${names} → … ${n - 11} more … → ConfigMap apps/cm-4 → ConfigMap apps/cm-5;`,
    );
  });
});
