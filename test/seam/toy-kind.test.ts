/**
 * The backend seam from the outside: a toy kind and two toy backends registered in this file
 * only, driven through load, plan, apply, dependsOn ordering, status and prune by the engine's
 * own generic pass. No product file knows these kinds.
 */
import { describe, expect, it } from "vitest";
import { dependenciesOf } from "../../engine/desired/dependencies.ts";
import { loadFleet, type DesiredState } from "../../engine/desired/load-fleet.ts";
import { EMPTY_INVENTORY, type Inventory } from "../../engine/inventory/index.ts";
import { builtinKinds } from "../../engine/kinds/builtin.ts";
import type { KindRegistration } from "../../engine/kinds/registration.ts";
import { createLogger } from "../../engine/log/logger.ts";
import { SinkError } from "../../engine/model/errors.ts";
import { refKey, refOf, type JsonObject, type ObjectRef } from "../../engine/model/object-ref.ts";
import { computePlan } from "../../engine/plan/compute-plan.ts";
import { renderPlanText } from "../../engine/plan/render-plan.ts";
import { FleetReconciler, type PassReport } from "../../engine/reconcile/fleet-reconciler.ts";
import type { Backend, Change, FleetEvent, Observed } from "../../engine/reconcile/ports.ts";
import type { ObjectStatus } from "../../engine/status/types.ts";

const enc = new TextEncoder();
const API = "toy.example.com/v1";

function toySchema(kind: string): Record<string, unknown> {
  return {
    $id: `https://toy.example.com/schemas/${kind}.json`,
    type: "object",
    additionalProperties: false,
    required: ["apiVersion", "kind", "metadata", "spec"],
    properties: {
      apiVersion: { const: API },
      kind: { const: kind },
      metadata: {
        type: "object",
        required: ["name"],
        properties: {
          name: { type: "string" },
          namespace: { type: "string" },
          labels: { type: "object" },
          annotations: { type: "object" },
        },
      },
      spec: {
        type: "object",
        additionalProperties: false,
        properties: { size: { type: "integer", minimum: 1 }, dependsOn: { type: "array", items: { type: "object" } } },
      },
    },
  };
}

/** A toy machine on backend "alpha": Ready once the toy hypervisor says so. */
const toyMachine: KindRegistration = {
  apiVersion: API,
  kind: "ToyMachine",
  namespaced: true,
  role: "applied",
  backend: "alpha",
  schema: toySchema("ToyMachine"),
  health: (live) =>
    (live["status"] as { booted?: boolean } | undefined)?.booted === true
      ? { ready: true, reason: "booted" }
      : { ready: false, reason: "booting" },
  disruption: { of: "recreate", fields: [/^\/spec\/size$/] },
};
/** A toy app on backend "beta" that runs on a machine. */
const toyApp: KindRegistration = {
  apiVersion: API,
  kind: "ToyApp",
  namespaced: true,
  role: "applied",
  backend: "beta",
  schema: toySchema("ToyApp"),
};
const kinds = builtinKinds.with(toyMachine, toyApp);

/** A toy backend: a map of objects, marked as Bosun's by a label, with its own inventory and events. */
class ToyBackend implements Backend {
  readonly objects = new Map<string, JsonObject>();
  readonly inventories = new Map<string, Inventory>();
  readonly events: { record: (ref: ObjectRef, e: FleetEvent) => Promise<void> } & { seen: string[] };
  readonly writes: string[] = [];
  readonly sink: Backend["sink"];
  readonly live: Backend["live"];
  readonly inventory: Backend["inventory"];

  constructor(readonly name: string) {
    const seen: string[] = [];
    this.events = { seen, record: async (ref, e) => void seen.push(`${ref.name} ${e.reason}`) };
    this.inventory = {
      load: async () => this.inventories.get(name) ?? EMPTY_INVENTORY,
      save: async (_backend, inventory) => void this.inventories.set(name, inventory),
    };
    this.live = {
      diff: async (objects) =>
        objects.map((o) => {
          const live = this.objects.get(refKey(refOf(o)));
          if (!live) return { state: "missing" as const, fields: [] };
          const same = JSON.stringify(live["spec"]) === JSON.stringify(o["spec"]);
          return same
            ? { state: "in-sync" as const, fields: [] }
            : {
                state: "changed" as const,
                fields: [
                  {
                    pointer: "/spec/size",
                    desired: (o["spec"] as JsonObject)["size"],
                    live: (live["spec"] as JsonObject)["size"],
                  },
                ],
              };
        }),
    };
    this.sink = {
      apply: async (objects, signal) =>
        objects.map((o): Change => {
          signal.throwIfAborted();
          const ref = refOf(o);
          const key = refKey(ref);
          const old = this.objects.get(key);
          if ((o["spec"] as JsonObject)["size"] === 13)
            return {
              action: "skipped",
              ref,
              reason: "unlucky size",
              error: new SinkError(`${ref.kind} ${ref.name}`, "permanent", "size 13 does not fit"),
            };
          if (old && JSON.stringify(old["spec"]) === JSON.stringify(o["spec"]))
            return { action: "unchanged", ref, reason: "in sync" };
          this.objects.set(key, { ...o, status: old?.["status"] ?? {} });
          this.writes.push(`${old ? "update" : "create"} ${ref.kind}/${ref.name}`);
          return { action: old ? "configured" : "created", ref, reason: old ? "configured" : "created" };
        }),
      delete: async (refs) =>
        refs.map((ref): Change => {
          const existed = this.objects.delete(refKey(ref));
          if (existed) this.writes.push(`delete ${ref.kind}/${ref.name}`);
          return existed
            ? { action: "deleted", ref, reason: "deleted" }
            : { action: "skipped", ref, reason: "already gone" };
        }),
      observe: async (refs) =>
        refs.map((ref): Observed | undefined => {
          const o = this.objects.get(refKey(ref));
          if (!o) return undefined;
          const labels = ((o["metadata"] as JsonObject)["labels"] ?? {}) as Record<string, string>;
          return { ref, object: o, managedByBosun: labels["app.kubernetes.io/managed-by"] === "bosun" };
        }),
    };
  }

  boot(name: string): void {
    const o = this.objects.get(`toy.example.com/ToyMachine/lab/${name}`);
    if (o) o["status"] = { booted: true };
  }
}

function fleet(files: Record<string, string>): DesiredState {
  const loaded = loadFleet(
    Object.entries(files).map(([path, text]) => ({ path, bytes: enc.encode(text) })),
    { kinds },
  );
  if (!loaded.ok) throw new Error(loaded.diagnostics.map((d) => `${d.file}:${d.line} ${d.message}`).join("\n"));
  return loaded;
}

const machine = (name: string, size = 1): string =>
  `apiVersion: ${API}\nkind: ToyMachine\nmetadata:\n  name: ${name}\n  namespace: lab\nspec:\n  size: ${size}\n`;
const app = (name: string, on: string): string =>
  `apiVersion: ${API}\nkind: ToyApp\nmetadata:\n  name: ${name}\n  namespace: lab\nspec:\n  size: 1\n  dependsOn:\n    - kind: ToyMachine\n      name: ${on}\n`;

const OPT_IN = `apiVersion: bosun.dev/v1alpha1\nkind: BosunConfig\nmetadata:\n  name: fleet\n  annotations:\n    bosun.dev/allow-mass-deletion: "true"\n`;

function setup() {
  const alpha = new ToyBackend("alpha");
  const beta = new ToyBackend("beta");
  const reports: PassReport[] = [];
  const reconciler = new FleetReconciler({
    backends: [alpha, beta],
    kinds,
    dependenciesOf,
    logger: createLogger({ level: "silent" }),
    onPass: (r) => reports.push(r),
  });
  let n = 0;
  const pass = async (desired: DesiredState): Promise<Map<string, ObjectStatus>> => {
    const statuses = await reconciler.apply(desired, { commit: `c${++n}`, signal: new AbortController().signal });
    return new Map(statuses.map((s) => [`${s.kind}/${s.name}`, s]));
  };
  return { alpha, beta, reconciler, reports, pass };
}

describe("a kind and backends registered outside the product", () => {
  it("plans, applies in dependency order across backends, reports status, and prunes only its own", async () => {
    const { alpha, beta, reports, pass } = setup();
    const v1 = fleet({ "m.yaml": machine("vm1"), "a.yaml": app("web", "vm1") });

    const plan = await computePlan(
      v1,
      {
        commit: "c0",
        now: new Date(0),
        backends: [alpha, beta],
        kinds,
        dependenciesOf,
        logger: createLogger({ level: "silent" }),
      },
      new AbortController().signal,
    );
    expect(plan.changes.map((c) => `${c.action} ${c.kind}/${c.name}`)).toEqual([
      "create ToyApp/web",
      "create ToyMachine/vm1",
    ]);
    expect(plan.order).toEqual([["ToyMachine lab/vm1"], ["ToyApp lab/web"]]);
    expect(renderPlanText(plan)).toContain("1. ToyMachine lab/vm1");
    expect(alpha.writes).toEqual([]); // planning writes nothing

    // Pass 1: the machine is created on alpha; the app waits for it to be Ready.
    let s = await pass(v1);
    expect(alpha.writes).toEqual(["create ToyMachine/vm1"]);
    expect(beta.writes).toEqual([]);
    expect(s.get("ToyApp/web")).toMatchObject({ phase: "Waiting", conditions: [{ reason: "DependencyNotReady" }] });
    expect(s.get("ToyApp/web")?.conditions?.[0]?.message).toContain(
      "waits for ToyMachine lab/vm1, which does not exist yet",
    );
    expect(s.get("ToyMachine/vm1")).toMatchObject({ phase: "Ready" });
    expect(reports.at(-1)?.progressing).toBe(true);

    // Still booting: nothing more happens.
    s = await pass(v1);
    expect(beta.writes).toEqual([]);
    expect(s.get("ToyApp/web")?.phase).toBe("Waiting");
    expect(s.get("ToyApp/web")?.conditions?.[0]?.message).toContain(
      "waits for ToyMachine lab/vm1 to be Ready (booting)",
    );

    // Booted: the app follows on beta.
    alpha.boot("vm1");
    s = await pass(v1);
    expect(beta.writes).toEqual(["create ToyApp/web"]);
    expect(s.get("ToyApp/web")).toMatchObject({ phase: "Ready" });
    expect(reports.at(-1)?.progressing).toBe(false);

    // An object someone else made on alpha without Bosun's mark.
    alpha.objects.set("toy.example.com/ToyMachine/lab/foreign", {
      apiVersion: API,
      kind: "ToyMachine",
      metadata: { name: "foreign", namespace: "lab" },
      spec: { size: 2 },
    });
    // Git drops the app and adds a second machine: the app is pruned from beta, foreign stays.
    // Deleting every object beta holds is more than the mass-deletion guard allows: refused, per backend.
    s = await pass(fleet({ "m.yaml": machine("vm1"), "m2.yaml": machine("vm2") }));
    expect(reports.at(-1)?.pruneRefused).toContain("refusing to delete 1 of 1 managed objects");
    expect(beta.objects.size).toBe(1);
    expect(alpha.writes).toEqual(["create ToyMachine/vm1", "create ToyMachine/vm2"]);
    // This commit opts in: the app is pruned from beta, the foreign machine stays on alpha.
    const v2 = fleet({ "m.yaml": machine("vm1"), "m2.yaml": machine("vm2"), "bosun.yaml": OPT_IN });
    s = await pass(v2);
    expect(beta.writes).toEqual(["create ToyApp/web", "delete ToyApp/web"]);
    expect(alpha.objects.has("toy.example.com/ToyMachine/lab/foreign")).toBe(true);
    expect(alpha.inventories.get("alpha")?.entries.map((e) => e.name)).toEqual(["vm1", "vm2"]);
    expect(beta.inventories.get("beta")?.entries).toEqual([]);

    // A permanent failure is the object's status, and touches nothing else.
    s = await pass(fleet({ "m.yaml": machine("vm1", 13), "m2.yaml": machine("vm2"), "bosun.yaml": OPT_IN }));
    expect(s.get("ToyMachine/vm1")).toMatchObject({
      phase: "Failed",
      lastError: "ToyMachine vm1: size 13 does not fit",
    });
    expect(s.get("ToyMachine/vm2")?.phase).toBe("Ready");
  });

  it("shows a spec change with the kind's own disruption class", async () => {
    const { alpha, beta, pass } = setup();
    await pass(fleet({ "m.yaml": machine("vm1") }));
    const plan = await computePlan(
      fleet({ "m.yaml": machine("vm1", 4) }),
      {
        commit: "c",
        now: new Date(0),
        backends: [alpha, beta],
        kinds,
        dependenciesOf,
        logger: createLogger({ level: "silent" }),
      },
      new AbortController().signal,
    );
    expect(plan.changes).toEqual([
      {
        kind: "ToyMachine",
        namespace: "lab",
        name: "vm1",
        action: "update",
        disruption: "recreate",
        fields: [{ pointer: "/spec/size", from: "1", to: "4" }],
      },
    ]);
  });

  it("reports a registered kind whose backend this engine does not run as NotReconciled", async () => {
    const alpha = new ToyBackend("alpha");
    const reconciler = new FleetReconciler({
      backends: [alpha],
      kinds,
      dependenciesOf,
      logger: createLogger({ level: "silent" }),
    });
    const statuses = await reconciler.apply(fleet({ "m.yaml": machine("vm1"), "a.yaml": app("web", "vm1") }), {
      commit: "c",
      signal: new AbortController().signal,
    });
    expect(statuses.find((s) => s.kind === "ToyApp")).toMatchObject({ phase: "NotReconciled" });
    expect(statuses.find((s) => s.kind === "ToyApp")?.conditions?.[0]?.message).toContain(
      "the beta backend is not configured in this engine",
    );
  });
});
