/**
 * EdgeWorkloads through the engine's real reconcile pass (FleetReconciler with the `flightctl`
 * backend; inventory and Events in memory) against the lab Flightctl over HTTPS: fleet mode with
 * waves, budget and a Git approval; an offline device that becomes unreachable after the timeout;
 * device mode; bad input (unknown fleet, a selector matching nothing, an image Flightctl refuses)
 * that touches nothing else; delete.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Fleet } from "../../clients/flightctl/index.ts";
import { dependenciesOf } from "../../engine/desired/dependencies.ts";
import { loadFleet, type DesiredState } from "../../engine/desired/load-fleet.ts";
import { builtinKinds } from "../../engine/kinds/builtin.ts";
import { createLogger } from "../../engine/log/logger.ts";
import { readWorkload } from "../../engine/kinds/edge-workload/workload.ts";
import { FleetReconciler } from "../../engine/reconcile/fleet-reconciler.ts";
import type { ObjectStatus } from "../../engine/status/types.ts";
import { labDevices, startLabFlightctl, type LabFlightctl } from "../../lab/flightctl/index.ts";
import { flightctlBackend, type FlightctlBackend } from "../../sinks/flightctl/index.ts";
import { memoryBackend } from "../../sinks/memory/index.ts";

const enc = new TextEncoder();
const signal = new AbortController().signal;
let dir: string;
let lab: LabFlightctl;
let backend: FlightctlBackend;
let events: readonly string[];
let reconciler: FleetReconciler;
let commit = 0;

const workload = (name: string, spec: string): string =>
  `apiVersion: fleet.bosun.dev/v1alpha1\nkind: EdgeWorkload\nmetadata:\n  name: ${name}\n  namespace: edge\nspec:\n${spec}`;

const cams = (image: string): string =>
  workload(
    "cams",
    `  fleet: north
  strategy:
    maxUnavailable: 3
    waves:
      - name: pilot
        limit: 4
      - name: rest
        approval: required
  containers:
    - name: analyzer
      image: ${image}
      env: [{ name: MODE, value: count }]
      ports: [{ containerPort: 8080 }]
      resources: { limits: { cpu: 500m, memory: 256Mi } }
`,
  );

function desired(files: Record<string, string>): DesiredState {
  const loaded = loadFleet(Object.entries(files).map(([path, text]) => ({ path, bytes: enc.encode(text) })));
  if (!loaded.ok) throw new Error(loaded.diagnostics.map((d) => `${d.file}:${d.line} ${d.message}`).join("\n"));
  return loaded;
}

async function pass(files: Record<string, string>): Promise<Map<string, ObjectStatus>> {
  const statuses = await reconciler.apply(desired(files), { commit: `c${++commit}`, signal });
  return new Map(statuses.map((s) => [s.name, s]));
}

/** Passes until `check` holds (the engine's requeue loop, without the clock in the assertion). */
async function passUntil(
  files: Record<string, string>,
  what: string,
  check: (s: Map<string, ObjectStatus>) => boolean,
): Promise<Map<string, ObjectStatus>> {
  let last = new Map<string, ObjectStatus>();
  for (let i = 0; i < 300; i++) {
    last = await pass(files);
    if (check(last)) return last;
    await sleep(30);
  }
  throw new Error(`${what} never held; last: ${JSON.stringify([...last.values()], null, 1).slice(0, 1500)}`);
}

const fleetOf = (name: string): Promise<Fleet> => backend.client.getFleet(name, signal);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "bosun-edge-"));
  const devices = [
    ...labDevices(20, ["north", "south"]),
    ...Array.from({ length: 4 }, (_, i) => ({ name: `kiosk-${i}`, labels: { role: "kiosk" } })),
  ];
  lab = await startLabFlightctl({ dir, devices, token: "t0k3n", simulation: { stepMs: 30 }, tickMs: 10 });
  for (const f of ["north", "south"]) {
    await lab.server.store.createFleet({
      apiVersion: "flightctl.io/v1beta1",
      kind: "Fleet",
      metadata: { name: f },
      spec: { selector: { matchLabels: { fleet: f } }, template: { spec: {} } },
    } as Fleet);
  }
  backend = flightctlBackend({
    config: {
      url: lab.url,
      token: "t0k3n",
      ca: await readFile(lab.caFile, "utf8"),
      insecureSkipVerify: false,
      offlineTimeoutMs: 400,
    },
    records: (() => {
      const m = memoryBackend({ name: "flightctl", record: true });
      events = m.writes.events;
      return { inventory: m.backend.inventory, events: m.backend.events };
    })(),
    logger: createLogger({ level: "silent" }),
  });
  reconciler = new FleetReconciler({
    backends: [backend],
    kinds: builtinKinds,
    dependenciesOf,
    logger: createLogger({ level: "silent" }),
  });
});

afterAll(async () => {
  await backend?.close();
  await lab?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("EdgeWorkload on the lab Flightctl", () => {
  it("puts a fleet workload in the template and rolls it out; an update waits for its approval after the pilot wave", async () => {
    const v1 = { "cams.yaml": cams("quay.io/acme/cams:1.0") };
    const s = await passUntil(
      v1,
      "v1 ready",
      (m) => m.get("cams")?.phase === "WaitingForApproval" || m.get("cams")?.phase === "Ready",
    );
    const fleet = await fleetOf("north");
    expect(fleet.spec.template.spec.applications).toEqual([
      {
        appType: "container",
        name: "cams",
        image: "quay.io/acme/cams:1.0",
        envVars: { MODE: "count" },
        ports: ["8080:8080"],
        resources: { limits: { cpu: "0.5", memory: "256m" } },
      },
    ]);
    expect(fleet.spec.rolloutPolicy).toEqual({
      deviceSelection: { strategy: "BatchSequence", sequence: [{ limit: 4, successThreshold: "90%" }] },
      disruptionBudget: { maxUnavailable: 3 },
      successThreshold: "90%",
    });
    const status = s.get("cams")!;
    expect(status.phase).toBe("WaitingForApproval");
    expect(status.counts).toMatchObject({ desired: 10, updated: 4, running: 4, failed: 0 });
    expect(status.conditions?.[0]?.message).toMatch(/wave rest/);
    // South's template is untouched.
    expect((await fleetOf("south")).spec.template.spec.applications ?? []).toEqual([]);
  });
});

const OPT_IN = `apiVersion: bosun.dev/v1alpha1
kind: BosunConfig
metadata:
  name: fleet
  annotations:
    bosun.dev/allow-mass-deletion: "true"
`;

function approval(files: Record<string, string>, name: string, wave: string): [string, string] {
  const object = desired(files).objects.find((o) => o.kind === "EdgeWorkload" && o.name === name)!;
  const revision = readWorkload(object).revision;
  return [
    `approvals/edge.${name}.${wave}.${revision}.yaml`,
    `apiVersion: bosun.dev/v1alpha1\nkind: Approval\nmetadata:\n  name: edge.${name}.${wave}.${revision}\nspec:\n  target: { kind: EdgeWorkload, namespace: edge, name: ${name} }\n  wave: ${wave}\n  revision: ${revision}\n`,
  ];
}

describe("EdgeWorkload rollouts, offline devices, device mode, bad input and delete", () => {
  const v1 = { "bosun.yaml": OPT_IN, "cams.yaml": cams("quay.io/acme/cams:1.0") };
  const v2 = { "bosun.yaml": OPT_IN, "cams.yaml": cams("quay.io/acme/cams:2.0") };
  const appsOnNorth = async (image: string): Promise<number> =>
    (await backend.client.listDevices({ labelSelector: "fleet=north", signal })).filter((d) =>
      d.spec?.applications?.some((a) => a["image"] === image),
    ).length;

  it("opens the approved wave; the update goes in batches within the budget; an offline device becomes unreachable, not failed", async () => {
    const approved1 = Object.fromEntries([...Object.entries(v1), approval(v1, "cams", "rest")]);
    const ready = await passUntil(approved1, "v1 everywhere", (m) => m.get("cams")?.phase === "Ready");
    expect(ready.get("cams")!.counts).toMatchObject({ desired: 10, updated: 10, running: 10, offline: 0 });
    expect(lab.store.maxInFlight("north")).toBeLessThanOrEqual(3);

    // One device goes away; the update must not wait on it forever nor fail for it.
    lab.store.setOnline("edge-0002", false);
    lab.store.resetMaxInFlight("north");
    const waiting = await passUntil(v2, "v2 pilot done", (m) => m.get("cams")?.phase === "WaitingForApproval");
    expect(await appsOnNorth("quay.io/acme/cams:2.0")).toBe(4);
    expect(waiting.get("cams")!.waves?.map((w) => [w.name, w.state])).toEqual([
      ["pilot", "done"],
      ["rest", "waiting-approval"],
    ]);
    await sleep(200);
    await pass(v2);
    expect(await appsOnNorth("quay.io/acme/cams:2.0")).toBe(4); // nothing beyond the pilot without approval

    const approved2 = Object.fromEntries([...Object.entries(v2), approval(v2, "cams", "rest")]);
    const done = await passUntil(
      approved2,
      "v2 on every reachable device",
      (m) => (m.get("cams")?.counts?.["updated"] ?? 0) >= 9,
    );
    const c = done.get("cams")!;
    expect(c.counts).toMatchObject({ desired: 10, running: 9, failed: 0, offline: 1 });
    expect(c.phase).toBe("Progressing"); // an unreachable device behind the revision: never Complete, never failed
    expect(c.failingDevices?.[0]).toMatch(/^edge-0002 \(\w+\): unreachable: offline/);
    expect(lab.store.maxInFlight("north")).toBeLessThanOrEqual(3);
    expect(lab.store.maxInFlight("north")).toBeGreaterThan(0);
    lab.store.setOnline("edge-0002", true);
    await passUntil(approved2, "v2 everywhere once back", (m) => m.get("cams")?.phase === "Ready");
  });

  it("puts a selector workload on devices outside fleets; an update takes one running device down at a time", async () => {
    const kiosk = (image: string): Record<string, string> => ({
      "bosun.yaml": OPT_IN,
      "cams.yaml": cams("quay.io/acme/cams:2.0"),
      "kiosk.yaml": workload(
        "kiosk",
        `  deviceSelector: { matchLabels: { role: kiosk } }\n  strategy: { maxUnavailable: 1 }\n  containers: [{ name: agent, image: ${image} }]\n`,
      ),
      ...Object.fromEntries([approval({ "cams.yaml": cams("quay.io/acme/cams:2.0") }, "cams", "rest")]),
    });
    const s = await passUntil(kiosk("quay.io/acme/kiosk:1"), "kiosk ready", (m) => m.get("kiosk")?.phase === "Ready");
    expect(s.get("kiosk")!.counts).toMatchObject({ desired: 4, updated: 4, running: 4 });
    const device = await backend.client.getDevice("kiosk-2", signal);
    expect(device.spec?.applications).toEqual([{ appType: "container", name: "kiosk", image: "quay.io/acme/kiosk:1" }]);
    expect(device.metadata.annotations?.["edge.bosun.dev/applications"]).toBe('{"kiosk":"edge/kiosk"}');

    lab.store.maxInFlightOutsideFleets = 0;
    const s2 = await passUntil(kiosk("quay.io/acme/kiosk:2"), "kiosk v2", (m) => m.get("kiosk")?.phase === "Ready");
    expect(s2.get("kiosk")!.counts).toMatchObject({ desired: 4, updated: 4, running: 4 });
    expect(lab.store.maxInFlightOutsideFleets).toBe(1);
  });

  it("reports bad input clearly and touches nothing else", async () => {
    const before = JSON.stringify((await fleetOf("north")).spec);
    const files = {
      "bosun.yaml": OPT_IN,
      "cams.yaml": cams("quay.io/acme/CAMS:bad tag"),
      "ghost.yaml": workload("ghost", "  fleet: nope\n  containers: [{ name: a, image: quay.io/a:1 }]\n"),
      "nobody.yaml": workload(
        "nobody",
        "  deviceSelector: { matchLabels: { role: printer } }\n  containers: [{ name: a, image: quay.io/a:1 }]\n",
      ),
      "owned.yaml": workload(
        "owned",
        "  deviceSelector: { matchLabels: { fleet: south } }\n  containers: [{ name: a, image: quay.io/a:1 }]\n",
      ),
    };
    const s = await pass(files);
    expect(s.get("ghost")).toMatchObject({ phase: "Failed" });
    expect(s.get("ghost")!.lastError).toMatch(
      /Flightctl has no fleet "nope"; create it or fix spec\.fleet \(nothing was written\)/,
    );
    expect(s.get("nobody")!.phase).toBe("Failed");
    expect(s.get("nobody")!.lastError).toMatch(
      /spec\.deviceSelector matches no Flightctl device outside a fleet; fix the selector/,
    );
    expect(s.get("owned")!.lastError).toMatch(/belong to fleets: Fleet\/south; use spec\.fleet/);
    expect(s.get("cams")!.phase).toBe("Failed");
    expect(s.get("cams")!.lastError).toMatch(
      /Flightctl refused fleet north's template: .*invalid image reference "quay\.io\/acme\/CAMS:bad tag"/,
    );
    expect(JSON.stringify((await fleetOf("north")).spec)).toBe(before);
    expect(await appsOnNorth("quay.io/acme/cams:2.0")).toBe(10);
    expect(events.some((e) => /Rejected/.test(e) && /invalid image reference/.test(e))).toBe(true);
  });

  it("removes the applications when the workloads leave Git, and only them", async () => {
    const south = await fleetOf("south");
    await backend.client.replaceFleet(
      {
        ...south,
        spec: {
          ...south.spec,
          template: { spec: { applications: [{ appType: "container", name: "theirs", image: "quay.io/x/y:1" }] } },
        },
      },
      signal,
    );
    await pass({ "bosun.yaml": OPT_IN });
    expect((await fleetOf("north")).spec.template.spec.applications).toEqual([]);
    expect((await fleetOf("north")).metadata.annotations?.["edge.bosun.dev/workloads"]).toBeUndefined();
    expect((await backend.client.getDevice("kiosk-1", signal)).spec?.applications).toEqual([]);
    expect((await fleetOf("south")).spec.template.spec.applications).toEqual([
      { appType: "container", name: "theirs", image: "quay.io/x/y:1" },
    ]);
  });
});

describe("bosun plan for EdgeWorkloads", () => {
  it("shows each wave's devices and what would change, read from Flightctl without writing", async () => {
    const { EdgeWorkloadController } = await import("../../engine/kinds/edge-workload/controller.ts");
    const files = { "cams.yaml": cams("quay.io/acme/cams:9.9") };
    const state = desired(files);
    const puts = lab.server.count("PUT fleets");
    const controller = new EdgeWorkloadController(backend, {
      logger: createLogger({ level: "silent" }),
      clock: () => new Date(),
      incremental: true,
      heartbeatStaleMs: 300_000,
      useHeartbeats: true,
    });
    const [plan] = await controller.plan({ objects: state.objects, desired: state, now: new Date(), signal });
    expect(plan).toMatchObject({ kind: "EdgeWorkload", name: "cams", targets: 10, maxUnavailable: 3, unit: "device" });
    expect(plan!.waves.map((w) => [w.name, w.targets, w.approval])).toEqual([
      ["pilot", 4, "auto"],
      ["rest", 6, "required"],
    ]);
    expect(lab.server.count("PUT fleets")).toBe(puts);
  });
});
