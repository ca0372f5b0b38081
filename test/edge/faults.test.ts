/**
 * Faults between Bosun and Flightctl during an EdgeWorkload rollout, through the engine's reconcile
 * pass against the lab Flightctl: a 409 on the template write (re-read, merged, written once), 429
 * and 500 answers (backoff, retried), and the Flightctl server restarted mid-rollout. After each:
 * every device runs exactly one copy of the application, on the new image, and the disruption
 * budget held. (The engine SIGKILLed mid-rollout is in test/edge/edge.e2e.int.test.ts.)
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Fleet } from "../../clients/flightctl/index.ts";
import { dependenciesOf } from "../../engine/desired/dependencies.ts";
import { loadFleet } from "../../engine/desired/load-fleet.ts";
import { builtinKinds } from "../../engine/kinds/builtin.ts";
import { createLogger } from "../../engine/log/logger.ts";
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
let reconciler: FleetReconciler;
let commit = 0;

const cams = (image: string): Record<string, string> => ({
  "cams.yaml": `apiVersion: fleet.bosun.dev/v1alpha1
kind: EdgeWorkload
metadata: { name: cams, namespace: edge }
spec:
  fleet: north
  strategy: { maxUnavailable: 2 }
  containers: [{ name: analyzer, image: ${image} }]
`,
});

async function pass(files: Record<string, string>): Promise<ObjectStatus | undefined> {
  const loaded = loadFleet(Object.entries(files).map(([path, text]) => ({ path, bytes: enc.encode(text) })));
  if (!loaded.ok) throw new Error("invalid fleet");
  const statuses = await reconciler.apply(loaded, { commit: `c${++commit}`, signal });
  return statuses.find((s) => s.name === "cams");
}

/** Passes (as the loop does; a failed pass is retried) until the rollout is Ready. */
async function untilReady(files: Record<string, string>): Promise<{ status: ObjectStatus; failedPasses: number }> {
  let failedPasses = 0;
  for (let i = 0; i < 400; i++) {
    try {
      const s = await pass(files);
      if (s?.phase === "Ready") return { status: s, failedPasses };
    } catch {
      failedPasses++;
    }
    await sleep(25);
  }
  throw new Error("never Ready");
}

/** Each north device's applications: exactly one `cams`, on `image`. */
async function expectEveryDeviceOn(image: string): Promise<void> {
  const devices = await backend.client.listDevices({ labelSelector: "fleet=north", signal });
  expect(devices).toHaveLength(10);
  for (const d of devices) {
    expect(d.spec?.applications?.map((a) => [a.name, a["image"]])).toEqual([["cams", image]]);
    expect(d.status?.applications.map((a) => [a.name, a.status])).toEqual([["cams", "Running"]]);
  }
  const fleet = await backend.client.getFleet("north", signal);
  expect(fleet.spec.template.spec.applications).toHaveLength(1);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "bosun-edge-faults-"));
  lab = await startLabFlightctl({
    dir,
    devices: labDevices(20, ["north", "south"]),
    simulation: { stepMs: 40 },
    tickMs: 10,
  });
  await lab.store.createFleet({
    apiVersion: "flightctl.io/v1beta1",
    kind: "Fleet",
    metadata: { name: "north" },
    spec: { selector: { matchLabels: { fleet: "north" } }, template: { spec: {} } },
  } as Fleet);
  const m = memoryBackend({ name: "flightctl" });
  backend = flightctlBackend({
    config: {
      url: lab.url,
      ca: await readFile(lab.caFile, "utf8"),
      insecureSkipVerify: false,
      offlineTimeoutMs: 60_000,
    },
    records: { inventory: m.backend.inventory, events: m.backend.events },
    logger: createLogger({ level: "silent" }),
  });
  reconciler = new FleetReconciler({
    backends: [backend],
    kinds: builtinKinds,
    dependenciesOf,
    logger: createLogger({ level: "silent" }),
  });
  await untilReady(cams("quay.io/acme/cams:1.0"));
});

afterAll(async () => {
  await backend?.close();
  await lab?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("EdgeWorkload faults", () => {
  it("a 409 on the template write: re-read, merged with the other change, written once", async () => {
    // Someone else changes the fleet between Bosun's read and its write: the lab answers 409 once.
    lab.inject({ method: "PUT", path: /^fleets\/north$/, status: 409 });
    const putsBefore = lab.server.count("PUT fleets");
    lab.store.resetMaxInFlight("north");
    await untilReady(cams("quay.io/acme/cams:1.1"));
    expect(lab.server.count("PUT fleets") - putsBefore).toBe(2); // the refused one and the one that landed
    await expectEveryDeviceOn("quay.io/acme/cams:1.1");
    expect(lab.store.maxInFlight("north")).toBeLessThanOrEqual(2);
  });

  it("429 and 500 answers: backed off and retried within the pass", async () => {
    const retries = backend.client.counts.retries;
    lab.inject({ method: "GET", path: /^fleets\/north$/, status: 429, times: 2 });
    lab.inject({ method: "PUT", path: /^fleets\/north$/, status: 500, times: 2 });
    lab.inject({ method: "GET", path: /^devices$/, status: 503 });
    lab.store.resetMaxInFlight("north");
    const { failedPasses } = await untilReady(cams("quay.io/acme/cams:1.2"));
    expect(failedPasses).toBe(0);
    expect(backend.client.counts.retries - retries).toBeGreaterThanOrEqual(5);
    await expectEveryDeviceOn("quay.io/acme/cams:1.2");
    expect(lab.store.maxInFlight("north")).toBeLessThanOrEqual(2);
  });

  it("the Flightctl server restarted mid-rollout: a pass during the outage backs off until it is back; the rollout finishes once", async () => {
    lab.store.resetMaxInFlight("north");
    await pass(cams("quay.io/acme/cams:2.0"));
    const restarted = lab.server.restart(800);
    await sleep(100);
    const retries = backend.client.counts.retries;
    const during = pass(cams("quay.io/acme/cams:2.0")); // refused connections: backoff, retry
    await restarted;
    await during;
    expect(backend.client.counts.retries - retries).toBeGreaterThan(0);
    await untilReady(cams("quay.io/acme/cams:2.0"));
    await expectEveryDeviceOn("quay.io/acme/cams:2.0");
    expect(lab.store.maxInFlight("north")).toBeLessThanOrEqual(2);
  });
});
