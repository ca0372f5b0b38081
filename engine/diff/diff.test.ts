import { describe, expect, it } from "vitest";
import {
  diffObject,
  prepareDesired,
  removePointers,
  sameLiveObject,
  selfHealEnabled,
  type JsonObject,
} from "./index.ts";

const desiredCm = (data: Record<string, string>, extra: JsonObject = {}): JsonObject =>
  prepareDesired({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "n", ...extra }, data });

/** What the server returns after Bosun applied `prepared`, with ownership as given. */
function liveOf(
  prepared: JsonObject,
  managedFields: JsonObject[],
  patch: (o: JsonObject) => void = () => undefined,
): JsonObject {
  const o = structuredClone(prepared);
  const meta = o["metadata"] as JsonObject;
  Object.assign(meta, {
    uid: "u",
    resourceVersion: "7",
    generation: 1,
    creationTimestamp: "2026-01-01T00:00:00Z",
    managedFields,
  });
  o["status"] = { observed: true };
  patch(o);
  return o;
}

const bosunOwns = (fields: JsonObject): JsonObject => ({
  manager: "bosun",
  operation: "Apply",
  fieldsType: "FieldsV1",
  fieldsV1: fields,
});

describe("prepareDesired", () => {
  it("stamps the managed-by label and a digest, drops server metadata and status", () => {
    const p = prepareDesired({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c", uid: "x", resourceVersion: "1", labels: { a: "b" } },
      status: { x: 1 },
      data: {},
    });
    expect(p["status"]).toBeUndefined();
    expect(p["metadata"]).toMatchObject({ name: "c", labels: { a: "b", "app.kubernetes.io/managed-by": "bosun" } });
    expect((p["metadata"] as JsonObject)["uid"]).toBeUndefined();
    expect(
      ((p["metadata"] as JsonObject)["annotations"] as Record<string, string>)["bosun.dev/desired-digest"],
    ).toMatch(/^[0-9a-f]{32}$/);
  });

  it("is deterministic and key-order independent; a value change changes the digest", () => {
    const a = prepareDesired({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c" },
      data: { x: "1", y: "2" },
    });
    const b = prepareDesired({
      kind: "ConfigMap",
      apiVersion: "v1",
      data: { y: "2", x: "1" },
      metadata: { name: "c" },
    });
    const c = prepareDesired({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c" },
      data: { x: "1", y: "3" },
    });
    expect(a).toEqual(b);
    const digest = (o: JsonObject): unknown =>
      ((o["metadata"] as JsonObject)["annotations"] as JsonObject)["bosun.dev/desired-digest"];
    expect(digest(a)).toBe(digest(b));
    expect(digest(a)).not.toBe(digest(c));
  });
});

describe("diffObject", () => {
  const owned = bosunOwns({
    "f:data": { "f:a": {}, "f:b": {} },
    "f:metadata": { "f:labels": { "f:app.kubernetes.io/managed-by": {} } },
  });

  it("missing when there is no live object", () => {
    expect(diffObject(desiredCm({ a: "1" }), undefined)).toEqual({ state: "missing", fields: [] });
  });

  it("in-sync despite server metadata, status and fields only others set", () => {
    const d = desiredCm({ a: "1", b: "2" });
    const live = liveOf(
      d,
      [owned, { manager: "other", operation: "Update", fieldsType: "FieldsV1", fieldsV1: { "f:data": { "f:z": {} } } }],
      (o) => {
        (o["data"] as JsonObject)["z"] = "added by other";
      },
    );
    expect(diffObject(d, live)).toEqual({ state: "in-sync", fields: [] });
  });

  it("an edit of a desired field is drift, with the JSON pointer and the new owner", () => {
    const d = desiredCm({ a: "1", b: "2" });
    const live = liveOf(
      d,
      [
        bosunOwns({ "f:data": { "f:b": {} } }),
        { manager: "kubectl-edit", operation: "Update", fieldsType: "FieldsV1", fieldsV1: { "f:data": { "f:a": {} } } },
      ],
      (o) => {
        (o["data"] as JsonObject)["a"] = "9";
      },
    );
    expect(diffObject(d, live)).toEqual({
      state: "drifted",
      fields: [{ pointer: "/data/a", kind: "changed", desired: "1", live: "9", owners: ["kubectl-edit"] }],
    });
  });

  it("a new desired body is `changed`, listing added and no-longer-desired fields", () => {
    const old = desiredCm({ a: "1", b: "2" });
    const live = liveOf(old, [owned]);
    const d = desiredCm({ a: "1", c: "3" });
    const r = diffObject(d, live);
    expect(r.state).toBe("changed");
    expect(r.fields.map((f) => [f.pointer, f.kind])).toEqual([
      ["/data/b", "removed"],
      ["/data/c", "missing"],
      ["/metadata/annotations/bosun.dev~1desired-digest", "changed"],
    ]);
  });

  it("matches associative list items by key and ignores server defaults inside them", () => {
    const d = prepareDesired({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "w", namespace: "n" },
      spec: { template: { spec: { containers: [{ name: "main", image: "i:1", ports: [{ containerPort: 80 }] }] } } },
    });
    const live = liveOf(
      d,
      [
        bosunOwns({
          "f:spec": {
            "f:template": {
              "f:spec": {
                "f:containers": {
                  'k:{"name":"main"}': {
                    ".": {},
                    "f:image": {},
                    "f:name": {},
                    "f:ports": { 'k:{"containerPort":80,"protocol":"TCP"}': { ".": {}, "f:containerPort": {} } },
                  },
                },
              },
            },
          },
        }),
        {
          manager: "injector",
          operation: "Apply",
          fieldsType: "FieldsV1",
          fieldsV1: {
            "f:spec": {
              "f:template": { "f:spec": { "f:containers": { 'k:{"name":"sidecar"}': { ".": {}, "f:name": {} } } } },
            },
          },
        },
      ],
      (o) => {
        const spec = ((o["spec"] as JsonObject)["template"] as JsonObject)["spec"] as JsonObject;
        spec["containers"] = [
          { name: "sidecar", image: "s:1" },
          {
            name: "main",
            image: "i:1",
            imagePullPolicy: "IfNotPresent",
            ports: [{ containerPort: 80, protocol: "TCP" }],
          },
        ];
      },
    );
    expect(diffObject(d, live).state).toBe("in-sync");
  });

  it("atomic lists compare as a whole", () => {
    const d = prepareDesired({ apiVersion: "v1", kind: "X", metadata: { name: "x" }, spec: { args: ["a", "b"] } });
    const live = liveOf(d, [bosunOwns({ "f:spec": { "f:args": {} } })], (o) => {
      (o["spec"] as JsonObject)["args"] = ["a", "c"];
    });
    expect(diffObject(d, live).fields).toEqual([
      { pointer: "/spec/args", kind: "changed", desired: ["a", "b"], live: ["a", "c"], owners: ["bosun"] },
    ]);
  });

  it("ignore rules hide a pointer's subtree for that kind (and `*` for all kinds)", () => {
    const d = prepareDesired({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "w" },
      spec: { replicas: 1, paused: false },
    });
    const live = liveOf(d, [], (o) => {
      (o["spec"] as JsonObject)["replicas"] = 5;
      (o["spec"] as JsonObject)["paused"] = true;
    });
    expect(diffObject(d, live, { ignore: { Deployment: ["/spec/replicas"] } }).fields.map((f) => f.pointer)).toEqual([
      "/spec/paused",
    ]);
    expect(diffObject(d, live, { ignore: { "*": ["/spec"] } }).state).toBe("in-sync");
    expect(diffObject(d, live, { ignore: { StatefulSet: ["/spec"] } }).fields).toHaveLength(2);
  });

  it("numbers and their string form are equal (quantities, int-or-string)", () => {
    const d = prepareDesired({ apiVersion: "v1", kind: "X", metadata: { name: "x" }, spec: { cpu: 1 } });
    const live = liveOf(d, [], (o) => {
      (o["spec"] as JsonObject)["cpu"] = "1";
    });
    expect(diffObject(d, live).state).toBe("in-sync");
  });

  it("diffs many objects in one pass, finding exactly the drifted ones (scale: bench/kube-diff.ts)", () => {
    let drifted = 0;
    for (let i = 0; i < 10_000; i++) {
      const d = desiredCm({ a: String(i), b: "2" });
      const live = liveOf(
        d,
        [owned],
        i % 1000 === 0
          ? (o) => {
              (o["data"] as JsonObject)["a"] = "x";
            }
          : undefined,
      );
      if (diffObject(d, live).state === "drifted") drifted++;
    }
    expect(drifted).toBe(10);
  });
});

describe("removePointers / sameLiveObject", () => {
  it("removes map keys and list items by pointer, leaving the input alone", () => {
    const o = { spec: { replicas: 3, "a/b": 1, list: [1, 2, 3] } };
    expect(removePointers(o, ["/spec/replicas", "/spec/a~1b", "/spec/list/1", "/spec/nothing/here"])).toEqual({
      spec: { list: [1, 3] },
    });
    expect(o.spec.replicas).toBe(3);
  });

  it("ignores resourceVersion and managedFields times only", () => {
    const a = {
      metadata: { name: "x", resourceVersion: "1", managedFields: [{ manager: "bosun", time: "t1" }] },
      spec: { a: 1 },
    };
    const b = {
      metadata: { name: "x", resourceVersion: "2", managedFields: [{ manager: "bosun", time: "t2" }] },
      spec: { a: 1 },
    };
    expect(sameLiveObject(a, b)).toBe(true);
    expect(sameLiveObject(a, { ...b, spec: { a: 2 } })).toBe(false);
  });
});

describe("selfHealEnabled", () => {
  const obj = (ann?: string): JsonObject => ({
    kind: "ConfigMap",
    metadata: ann === undefined ? {} : { annotations: { "bosun.dev/self-heal": ann } },
  });
  it("object annotation, then kind, then global", () => {
    expect(selfHealEnabled({ global: false }, obj("true"))).toBe(true);
    expect(selfHealEnabled({ global: true, kinds: { ConfigMap: true } }, obj("false"))).toBe(false);
    expect(selfHealEnabled({ global: false, kinds: { ConfigMap: true } }, obj())).toBe(true);
    expect(selfHealEnabled({ global: true, kinds: { Secret: false } }, obj())).toBe(true);
    expect(selfHealEnabled({ global: false }, obj("maybe"))).toBe(false);
  });
});
