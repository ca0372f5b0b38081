import { describe, expect, it } from "vitest";
import { loadFleet } from "../../engine/desired/load-fleet.ts";
import { builtinKinds } from "../../engine/kinds/builtin.ts";
import { partition } from "../../engine/reconcile/partition.ts";

const enc = new TextEncoder();
const cm = (name: string, annotations = ""): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: apps\n${annotations}data:\n  a: "1"\n`;

function objects(selfHeal: boolean) {
  const files = {
    "bosun.yaml": `apiVersion: bosun.dev/v1alpha1\nkind: BosunConfig\ndefaults:\n  selfHeal: ${selfHeal}\n`,
    "a.yaml": cm("a"),
    "b.yaml": cm("b", `  annotations:\n    bosun.dev/self-heal: "true"\n`),
  };
  const loaded = loadFleet(Object.entries(files).map(([path, text]) => ({ path, bytes: enc.encode(text) })));
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
  return loaded;
}

const annotationsOf = (m: Record<string, unknown>): unknown =>
  (m["metadata"] as { annotations?: Record<string, string> }).annotations?.["bosun.dev/self-heal"];

describe("routing", () => {
  it("carries bosun.yaml defaults.selfHeal: false to every manifest unless the object says otherwise", () => {
    const off = objects(false);
    const routed = partition(off.objects, builtinKinds, new Set(["kubernetes"]), {
      selfHeal: off.config.defaults.selfHeal,
    });
    const byName = new Map(routed.byBackend.get("kubernetes")?.map((r) => [r.object.name, r.manifest]));
    expect(annotationsOf(byName.get("a") ?? {})).toBe("false");
    expect(annotationsOf(byName.get("b") ?? {})).toBe("true");

    const on = objects(true);
    const plain = partition(on.objects, builtinKinds, new Set(["kubernetes"]), {
      selfHeal: on.config.defaults.selfHeal,
    });
    expect(plain.byBackend.get("kubernetes")?.map((r) => annotationsOf(r.manifest))).toEqual([undefined, "true"]);
  });
});
