import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { declaresDependsOn, withoutDependsOn } from "../engine/desired/dependencies.ts";
import { loadFleet } from "../engine/desired/load-fleet.ts";
import { readDirectory } from "../engine/desired/read-directory.ts";
import { builtinKinds } from "../engine/kinds/builtin.ts";
import type { FleetObject } from "../engine/model/fleet-object.ts";

type Schema = {
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
};

/** What Kubernetes' structural pruning would drop from `value` under `schema` (JSON pointers). */
function dropped(value: unknown, schema: Schema | undefined, pointer = ""): string[] {
  if (!schema || (schema["x-kubernetes-preserve-unknown-fields"] === true && !schema.properties)) return [];
  if (Array.isArray(value)) return value.flatMap((v, i) => dropped(v, schema.items, `${pointer}/${i}`));
  if (typeof value !== "object" || value === null) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    const sub =
      schema.properties?.[k] ??
      (typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined);
    if (!sub && schema.additionalProperties !== true && schema["x-kubernetes-preserve-unknown-fields"] !== true)
      out.push(`${pointer}/${k}`);
    else out.push(...dropped(v, sub, `${pointer}/${k}`));
  }
  return out;
}

const crdDir = join(import.meta.dirname, "../deploy/crds");
const crds = new Map<string, Schema>();
for (const f of readdirSync(crdDir).filter((n) => n.endsWith(".yaml"))) {
  const crd = parse(readFileSync(join(crdDir, f), "utf8")) as {
    spec: { group: string; names: { kind: string }; versions: { name: string; schema: { openAPIV3Schema: Schema } }[] };
  };
  for (const v of crd.spec.versions)
    crds.set(`${crd.spec.group}/${v.name}|${crd.spec.names.kind}`, v.schema.openAPIV3Schema);
}

/**
 * What the API server gets of a fleet object: without metadata (checked by the API server itself) and
 * without `spec.dependsOn`, which is engine-only: Bosun resolves it against the commit and never sends
 * it, so the CRDs do not carry it (a field there would promise an in-cluster ordering nothing does).
 */
function sentBody(o: FleetObject): Record<string, unknown> {
  const { metadata: _m, ...rest } = withoutDependsOn(o, builtinKinds);
  return rest;
}

async function exampleObjects(): Promise<readonly FleetObject[]> {
  const result = loadFleet(await readDirectory(join(import.meta.dirname, "../fleet-repo-example")));
  if (!result.ok) throw new Error("example fleet invalid");
  return result.objects;
}

describe("shipped CRDs keep every field the fleet schemas allow", () => {
  it("no field of the example fleet would be pruned by the API server", async () => {
    let checked = 0;
    for (const o of await exampleObjects()) {
      const schema = crds.get(`${o.apiVersion}|${o.kind}`);
      if (!schema) continue;
      checked++;
      expect(dropped(sentBody(o), schema), `${o.kind} ${o.name}`).toEqual([]);
    }
    expect(checked).toBeGreaterThanOrEqual(8);
  });

  it("spec.dependsOn is engine-only: in the schemas, not in the CRDs, never sent", async () => {
    let checked = 0;
    for (const o of await exampleObjects()) {
      const schema = crds.get(`${o.apiVersion}|${o.kind}`);
      if (!schema || !declaresDependsOn(builtinKinds, o.apiVersion, o.kind)) continue;
      checked++;
      expect(schema.properties?.["spec"]?.properties?.["dependsOn"], o.kind).toBeUndefined();
      const spec = { ...(o.body["spec"] as Record<string, unknown>), dependsOn: [{ kind: "ConfigMap", name: "c" }] };
      expect(dropped(sentBody({ ...o, body: { ...o.body, spec } }), schema), `${o.kind} ${o.name}`).toEqual([]);
    }
    expect(checked).toBeGreaterThanOrEqual(3);
  });
});
