/**
 * Drift per field, with live and desired values, as `bosun plan` prints it and as the status
 * files record it; a Secret's values never (only which keys drifted). Also: a cluster-scoped
 * manifest reaches its backend without the namespace kustomize or Helm left on it.
 */
import { describe, expect, it } from "vitest";
import { dependenciesOf } from "../../engine/desired/dependencies.ts";
import { loadFleet } from "../../engine/desired/load-fleet.ts";
import { EMPTY_INVENTORY } from "../../engine/inventory/index.ts";
import { builtinKinds } from "../../engine/kinds/builtin.ts";
import { createLogger } from "../../engine/log/logger.ts";
import { refOf, type JsonObject } from "../../engine/model/object-ref.ts";
import { buildPlan } from "../../engine/plan/plan.ts";
import { renderPlanMarkdown, renderPlanText } from "../../engine/plan/render-plan.ts";
import { FleetReconciler } from "../../engine/reconcile/fleet-reconciler.ts";
import type { Backend, Change } from "../../engine/reconcile/ports.ts";
import { renderObjectStatus } from "../../engine/status/render-object.ts";

const enc = new TextEncoder();

describe("bosun plan shows drift per field", () => {
  const plan = buildPlan({
    commit: "abc",
    objects: [
      {
        kind: "ConfigMap",
        namespace: "x",
        name: "settings",
        diff: { state: "drifted", fields: [{ pointer: "/data/level", desired: "info", live: "debug" }] },
      },
      {
        kind: "Secret",
        namespace: "x",
        name: "creds",
        diff: { state: "drifted", fields: [{ pointer: "/data/token", desired: "c2VjcmV0", live: "b3RoZXI=" }] },
      },
      {
        kind: "Deployment",
        namespace: "x",
        name: "web",
        diff: {
          state: "drifted",
          fields: [{ pointer: "/spec/template/spec/containers/0/resources/limits/cpu", desired: "2000m", live: "3" }],
        },
      },
    ],
    deletions: [],
    rollouts: [],
  });

  it("in text: each field with live → desired", () => {
    const text = renderPlanText(plan);
    expect(text).toContain("3 to drift");
    expect(text).toContain("drift ConfigMap x/settings [none]: /data/level debug → info");
    expect(text).toContain("/spec/template/spec/containers/0/resources/limits/cpu 3 → 2000m");
  });

  it("in markdown and JSON too, with a Secret's values redacted everywhere", () => {
    const md = renderPlanMarkdown(plan);
    expect(md).toContain("| drift | ConfigMap x/settings | none | `/data/level` `debug` → `info` |");
    expect(md).toContain("`/data/token` `(redacted)` → `(redacted)`");
    const all = renderPlanText(plan) + md + JSON.stringify(plan);
    expect(all).not.toContain("c2VjcmV0");
    expect(all).not.toContain("b3RoZXI=");
  });
});

/** A backend that reports what a Kubernetes sink reports for an out-of-band edit. */
function driftingBackend(changes: (desired: readonly JsonObject[]) => Change[], seen: JsonObject[][] = []): Backend {
  return {
    name: "kubernetes",
    sink: {
      apply: (objects) => {
        seen.push([...objects]);
        return Promise.resolve(changes(objects));
      },
      delete: () => Promise.resolve([]),
      observe: (refs) => Promise.resolve(refs.map(() => undefined)),
    },
    live: { diff: () => Promise.resolve([]) },
    inventory: { load: () => Promise.resolve(EMPTY_INVENTORY), save: () => Promise.resolve() },
    events: { record: () => Promise.resolve() },
  };
}

function fleet(files: Record<string, string>) {
  const loaded = loadFleet(
    Object.entries(files).map(([path, text]) => ({ path, bytes: enc.encode(text) })),
    { kinds: builtinKinds },
  );
  if (!loaded.ok) throw new Error(loaded.diagnostics.map((d) => d.message).join("\n"));
  return loaded;
}

const reconcile = (backend: Backend, files: Record<string, string>) =>
  new FleetReconciler({
    backends: [backend],
    kinds: builtinKinds,
    dependenciesOf,
    logger: createLogger({ level: "silent" }),
  }).apply(fleet(files), { commit: "c1", signal: new AbortController().signal });

describe("status files show drift per field", () => {
  const files = {
    "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: x}\ndata: {level: info}\n",
    "secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: creds, namespace: x}\nstringData: {token: secret}\n",
  };
  const drift = (objects: readonly JsonObject[]): Change[] =>
    objects.map((o) =>
      o["kind"] === "Secret"
        ? // The Kubernetes sink puts (redacted) in place of a Secret's values already.
          {
            action: "skipped",
            ref: refOf(o),
            reason: "drift (self-heal off): /data/token",
            fields: [{ pointer: "/data/token", desired: "(redacted)", live: "(redacted)" }],
          }
        : {
            action: "configured",
            ref: refOf(o),
            reason: "drift corrected: /data/level",
            fields: [{ pointer: "/data/level", desired: "info", live: "debug" }],
          },
    );

  it("corrected or left alone, each drifted field is recorded with its live and desired value", async () => {
    const statuses = await reconcile(driftingBackend(drift), files);
    const cm = statuses.find((s) => s.name === "settings");
    const secret = statuses.find((s) => s.name === "creds");
    expect(cm?.drift).toEqual([{ pointer: "/data/level", desired: "info", live: "debug" }]);
    expect(secret).toMatchObject({
      phase: "Skipped",
      drift: [{ pointer: "/data/token", desired: "(redacted)", live: "(redacted)" }],
    });
    const cmText = renderObjectStatus(cm!, 65_536);
    expect(cmText).toContain("drift:\n  - pointer: /data/level\n    live: debug\n    desired: info\n");
    const secretText = renderObjectStatus(
      { ...secret!, drift: [{ pointer: "/data/token", live: "b3RoZXI=" }] },
      65_536,
    );
    expect(secretText).toContain("drift:\n  - pointer: /data/token\n    live: (redacted)\n    desired: (redacted)\n");
    expect(secretText).not.toContain("b3RoZXI=");
  });

  it("a pass without drift records none", async () => {
    const unchanged = (objects: readonly JsonObject[]): Change[] =>
      objects.map((o) => ({ action: "unchanged", ref: refOf(o), reason: "in sync" }));
    const statuses = await reconcile(driftingBackend(unchanged), files);
    expect(statuses.every((s) => s.drift === undefined)).toBe(true);
    expect(renderObjectStatus(statuses[0]!, 65_536)).not.toContain("drift");
  });
});

describe("cluster-scoped manifests", () => {
  it("reach the backend without metadata.namespace (the loader knows the scope), and their status lines up", async () => {
    const seen: JsonObject[][] = [];
    const ok = (objects: readonly JsonObject[]): Change[] =>
      objects.map((o) => ({ action: "created", ref: refOf(o), reason: "created" }));
    const statuses = await reconcile(driftingBackend(ok, seen), {
      "role.yaml":
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: reader, namespace: kube-system}\nrules: []\n",
    });
    expect((seen[0]?.[0]?.["metadata"] as JsonObject)["namespace"]).toBeUndefined();
    expect(statuses).toMatchObject([{ kind: "ClusterRole", namespace: "", name: "reader", phase: "Ready" }]);
  });
});
