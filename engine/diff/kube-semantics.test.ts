/**
 * The diff with Kubernetes semantics, one class at a time: what the API server rewrites is not
 * drift, what it keeps is. Each live object is written the way kube-apiserver returns it after a
 * server-side apply (managedFields included).
 */
import { describe, expect, it } from "vitest";
import { diffObject, parseQuantity, prepareDesired, sameQuantity, type JsonObject } from "./index.ts";

type Fields = JsonObject;

const apply = (manager: string, fieldsV1: Fields): JsonObject => ({
  manager,
  operation: "Apply",
  apiVersion: "v1",
  fieldsType: "FieldsV1",
  fieldsV1,
});
const update = (manager: string, fieldsV1: Fields): JsonObject => ({
  ...apply(manager, fieldsV1),
  operation: "Update",
});

/** Bosun's stamps as an apply records them. */
const STAMPS: Fields = {
  "f:metadata": {
    "f:labels": { "f:app.kubernetes.io/managed-by": {} },
    "f:annotations": { "f:bosun.dev/desired-digest": {} },
  },
};

/** The live object: `prepared` as the server would store it (`edit` applied), with server metadata. */
function live(prepared: JsonObject, managedFields: JsonObject[], edit: (o: JsonObject) => void = () => {}): JsonObject {
  const o = structuredClone(prepared);
  Object.assign(o["metadata"] as JsonObject, {
    uid: "u-1",
    resourceVersion: "42",
    creationTimestamp: "2026-01-01T00:00:00Z",
    managedFields,
  });
  edit(o);
  return o;
}

const at = (o: JsonObject, ...path: (string | number)[]): JsonObject => {
  let cur: unknown = o;
  for (const p of path) cur = (cur as Record<string | number, unknown>)[p];
  return cur as JsonObject;
};

const pointers = (d: { fields: readonly { pointer: string }[] }): string[] => d.fields.map((f) => f.pointer);

describe("resource quantities", () => {
  it("parses the apimachinery spellings and compares by value", () => {
    expect(sameQuantity("2000m", "2")).toBe(true);
    expect(sameQuantity(0.2, "200m")).toBe(true);
    expect(sameQuantity("1Gi", "1073741824")).toBe(true);
    expect(sameQuantity("1.5Gi", "1536Mi")).toBe(true);
    expect(sameQuantity("1e3", "1k")).toBe(true);
    expect(sameQuantity("100Mi", "100M")).toBe(false);
    expect(sameQuantity("-1", "1")).toBe(false);
    expect(sameQuantity("2", "3")).toBe(false);
    expect(parseQuantity("12x")).toBeUndefined();
    expect(parseQuantity("")).toBeUndefined();
    expect(parseQuantity(".5")).toEqual({ negative: false, digits: 5n, exp10: -1, exp2: 0 });
  });

  const pod = (cpu: string | number, memory: string): JsonObject =>
    prepareDesired({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p", namespace: "n" },
      spec: { containers: [{ name: "c", image: "i:1", resources: { limits: { cpu, memory }, requests: { cpu } } }] },
    });
  const owned = apply("bosun", {
    ...STAMPS,
    "f:spec": {
      "f:containers": {
        'k:{"name":"c"}': {
          ".": {},
          "f:image": {},
          "f:name": {},
          "f:resources": { "f:limits": { "f:cpu": {}, "f:memory": {} }, "f:requests": { "f:cpu": {} } },
        },
      },
    },
  });
  const stored = (cpu: string, memory: string) => (o: JsonObject) => {
    const r = at(o, "spec", "containers", 0, "resources");
    r["limits"] = { cpu, memory };
    r["requests"] = { cpu };
  };

  it("the server's canonical spelling of the same value is in sync", () => {
    expect(diffObject(pod("2000m", "1Gi"), live(pod("2000m", "1Gi"), [owned], stored("2", "1Gi"))).state).toBe(
      "in-sync",
    );
    expect(diffObject(pod(0.2, "1Gi"), live(pod(0.2, "1Gi"), [owned], stored("200m", "1073741824"))).state).toBe(
      "in-sync",
    );
  });

  it("another value is drift, with both spellings shown", () => {
    const d = pod("2000m", "1Gi");
    const r = diffObject(d, live(d, [owned], stored("3", "1Gi")));
    expect(r.state).toBe("drifted");
    expect(r.fields.map((f) => [f.pointer, f.desired, f.live])).toEqual([
      ["/spec/containers/0/resources/limits/cpu", "2000m", "3"],
      ["/spec/containers/0/resources/requests/cpu", "2000m", "3"],
    ]);
  });

  it("only quantity fields compare as quantities: ConfigMap data is compared as written", () => {
    const d = prepareDesired({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c", namespace: "n" },
      data: { cpu: "2000m" },
    });
    const l = live(d, [apply("bosun", { ...STAMPS, "f:data": { "f:cpu": {} } })], (o) => {
      (o["data"] as JsonObject)["cpu"] = "2";
    });
    expect(pointers(diffObject(d, l))).toEqual(["/data/cpu"]);
  });
});

describe("int-or-string", () => {
  it("a number and its string form are one value (a port, a rolling-update budget); another value is drift", () => {
    const d = prepareDesired({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "d", namespace: "n" },
      spec: { strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: "25%" } } },
    });
    const l = live(d, [], (o) => {
      at(o, "spec")["strategy"] = { type: "RollingUpdate", rollingUpdate: { maxSurge: "1", maxUnavailable: "25%" } };
    });
    expect(diffObject(d, l).state).toBe("in-sync");
    const other = live(d, [], (o) => {
      at(o, "spec", "strategy", "rollingUpdate")["maxUnavailable"] = "50%";
    });
    expect(pointers(diffObject(d, other))).toEqual(["/spec/strategy/rollingUpdate/maxUnavailable"]);
  });
});

describe("empty maps: present when owned", () => {
  const deployment = prepareDesired({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "d", namespace: "n" },
    spec: {
      selector: { matchLabels: { app: "d" } },
      strategy: {},
      template: {
        metadata: { labels: { app: "d" } },
        spec: { securityContext: {}, containers: [{ name: "c", image: "i:1", resources: {} }] },
      },
    },
  });
  const owned = apply("bosun", {
    ...STAMPS,
    "f:spec": {
      "f:selector": {},
      "f:strategy": {},
      "f:template": {
        "f:metadata": { "f:labels": { ".": {}, "f:app": {} } },
        "f:spec": {
          "f:securityContext": {},
          "f:containers": { 'k:{"name":"c"}': { ".": {}, "f:image": {}, "f:name": {}, "f:resources": {} } },
        },
      },
    },
  });
  const defaulted = (o: JsonObject): void => {
    at(o, "spec")["strategy"] = { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } };
    at(o, "spec", "template", "spec")["dnsPolicy"] = "ClusterFirst";
  };

  it("strategy: {}, securityContext: {} and resources: {} Bosun applied are not reported as removed", () => {
    expect(diffObject(deployment, live(deployment, [owned], defaulted))).toEqual({ state: "in-sync", fields: [] });
  });

  it("an empty map Bosun no longer sets, and owns, is removed", () => {
    const without = structuredClone(deployment);
    delete at(without, "spec", "template", "spec")["securityContext"];
    const r = diffObject(without, live(deployment, [owned], defaulted));
    expect(r.fields.map((f) => [f.pointer, f.kind])).toEqual([["/spec/template/spec/securityContext", "removed"]]);
  });
});

describe("Secret stringData", () => {
  const secret = (extra: JsonObject): JsonObject =>
    prepareDesired({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s", namespace: "n" },
      type: "Opaque",
      ...extra,
    });

  it("is folded into data before the apply (stringData wins over the same data key)", () => {
    const p = secret({ stringData: { user: "admin", token: "t0k" }, data: { token: "b2xk", ca: "Y2E=\nCg==" } });
    expect(p["stringData"]).toBeUndefined();
    expect(p["data"]).toEqual({ user: "YWRtaW4=", token: "dDBr", ca: "Y2E=Cg==" });
  });

  it("the stored data is in sync; an edited value is drift, a value the server reads as null is empty", () => {
    const desired = secret({ stringData: { user: "admin" }, data: { empty: "" } });
    const owned = apply("bosun", { ...STAMPS, "f:type": {}, "f:data": { "f:user": {}, "f:empty": {} } });
    expect(
      diffObject(
        desired,
        live(desired, [owned], (o) => (at(o, "data")["empty"] = null)),
      ).state,
    ).toBe("in-sync");
    const edited = live(desired, [owned], (o) => (at(o, "data")["user"] = "cm9vdA=="));
    expect(pointers(diffObject(desired, edited))).toEqual(["/data/user"]);
  });

  it("a desired body still written with stringData (not prepared) compares the same way", () => {
    const raw = { apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, stringData: { a: "b" } };
    const stored = { apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, data: { a: "Yg==" } };
    expect(diffObject(raw, stored).state).toBe("in-sync");
    expect(pointers(diffObject(raw, { ...stored, data: { a: "Yw==" } }))).toEqual(["/data/a"]);
  });
});

describe("cluster-scoped objects", () => {
  it("a built-in cluster-scoped kind loses metadata.namespace when prepared, and is not drift for it", () => {
    const role = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "reader", namespace: "kube-system" },
      rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }],
    };
    const p = prepareDesired(role);
    expect((p["metadata"] as JsonObject)["namespace"]).toBeUndefined();
    const l = live(p, [apply("bosun", { ...STAMPS, "f:rules": {} })]);
    expect(diffObject({ ...role, metadata: { ...(p["metadata"] as JsonObject), namespace: "x" } }, l).state).toBe(
      "in-sync",
    );
  });

  it("a custom kind whose live object has no namespace is cluster-scoped (the CRD says scope: Cluster)", () => {
    const d = prepareDesired({
      apiVersion: "x.io/v1",
      kind: "Widget",
      metadata: { name: "w", namespace: "ns" },
      spec: { a: 1 },
    });
    const l = live(d, [apply("bosun", { ...STAMPS, "f:spec": { "f:a": {} } })], (o) => {
      delete at(o, "metadata")["namespace"];
    });
    expect(diffObject(d, l).state).toBe("in-sync");
  });
});

describe("keyed lists", () => {
  const svc = (ports: JsonObject[]): JsonObject =>
    prepareDesired({ apiVersion: "v1", kind: "Service", metadata: { name: "s", namespace: "n" }, spec: { ports } });
  const portsOwned = (...keys: [number, string][]): JsonObject =>
    apply("bosun", {
      ...STAMPS,
      "f:spec": {
        "f:ports": Object.fromEntries(
          keys.map(([port, protocol]) => [
            `k:${JSON.stringify({ port, protocol })}`,
            { ".": {}, "f:port": {}, "f:protocol": {}, "f:name": {} },
          ]),
        ),
      },
    });

  it("a defaulted key field (protocol: TCP) is neither drift nor removed", () => {
    const d = svc([{ name: "http", port: 80 }]);
    const l = live(d, [portsOwned([80, "TCP"])], (o) => {
      at(o, "spec")["ports"] = [{ name: "http", port: 80, protocol: "TCP", targetPort: 80 }];
    });
    expect(diffObject(d, l)).toEqual({ state: "in-sync", fields: [] });
  });

  it("the same port over UDP is another item: its removal is seen, the TCP one stays matched", () => {
    const d = svc([{ name: "dns", port: 53 }]);
    const l = live(d, [portsOwned([53, "TCP"], [53, "UDP"])], (o) => {
      at(o, "spec")["ports"] = [
        { name: "dns-udp", port: 53, protocol: "UDP" },
        { name: "dns", port: 53, protocol: "TCP" },
      ];
    });
    const r = diffObject(d, l);
    expect(r.fields.map((f) => [f.pointer, f.kind])).toEqual([["/spec/ports/0", "removed"]]);
  });

  it("without managedFields the built-in lists are still matched by key (an env var another writer added)", () => {
    const d = prepareDesired({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "d", namespace: "n" },
      spec: {
        template: {
          spec: { containers: [{ name: "c", env: [{ name: "A", value: "1" }], ports: [{ containerPort: 80 }] }] },
        },
      },
    });
    const l = live(d, [], (o) => {
      at(o, "spec", "template", "spec")["containers"] = [
        {
          name: "c",
          env: [
            { name: "B", value: "2" },
            { name: "A", value: "1" },
          ],
          ports: [{ containerPort: 80, protocol: "TCP" }],
          imagePullPolicy: "Always",
        },
      ];
    });
    expect(diffObject(d, l).state).toBe("in-sync");
    const changed = structuredClone(l);
    at(changed, "spec", "template", "spec", "containers", 0, "env", 1)["value"] = "9";
    expect(pointers(diffObject(d, changed))).toEqual(["/spec/template/spec/containers/0/env/0/value"]);
  });
});

describe("removal per owned key", () => {
  it("a key Bosun owned goes even when another manager owns a sibling key of the same map", () => {
    const d = prepareDesired({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "n" } });
    const l = live(
      d,
      [
        apply("bosun", { ...STAMPS, "f:data": { "f:token": {} } }),
        update("kubectl-edit", { "f:data": { "f:extra": {} } }),
      ],
      (o) => {
        o["data"] = { token: "t", extra: "theirs" };
      },
    );
    const r = diffObject(d, l);
    expect(r.fields.map((f) => [f.pointer, f.kind])).toEqual([["/data/token", "removed"]]);
  });

  it("a key another manager co-owns stays, and so do fields the same name owns through an Update", () => {
    const d = prepareDesired({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c", namespace: "n" },
      data: {},
    });
    const l = live(
      d,
      [
        apply("bosun", { ...STAMPS, "f:data": { "f:shared": {}, "f:mine": {} } }),
        update("kubectl-edit", { "f:data": { "f:shared": {} } }),
        update("bosun", { "f:data": { "f:mine": {} } }),
      ],
      (o) => {
        o["data"] = { shared: "s", mine: "m" };
      },
    );
    expect(diffObject(d, l).state).toBe("in-sync");
  });
});

describe("ignore rules", () => {
  const d = prepareDesired({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "d", namespace: "n" },
    spec: { replicas: 2, minReadySeconds: 3 },
  });
  const l = live(
    d,
    [
      apply("bosun", { ...STAMPS, "f:spec": { "f:minReadySeconds": {} } }),
      apply("autoscaler", { "f:spec": { "f:replicas": {} } }),
    ],
    (o) => {
      at(o, "spec")["replicas"] = 7;
    },
  );

  it("by JSON pointer per kind, and by the manager that owns the live value", () => {
    expect(pointers(diffObject(d, l))).toEqual(["/spec/replicas"]);
    expect(diffObject(d, l, { ignore: { Deployment: ["/spec/replicas"] } }).state).toBe("in-sync");
    expect(diffObject(d, l, { ignoreManagers: ["autoscaler"] }).state).toBe("in-sync");
    expect(pointers(diffObject(d, l, { ignoreManagers: ["someone-else"] }))).toEqual(["/spec/replicas"]);
  });
});
