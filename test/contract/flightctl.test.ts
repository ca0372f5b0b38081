/**
 * The Flightctl client (clients/flightctl) against the lab server (lab/flightctl), both checked
 * against the spec (`../shared/specs/flightctl/openapi.yaml`): every body the client sends is
 * validated by the lab against the spec's schemas (a violation is a 400 and fails the test), and
 * every answer the lab gives is validated here against the spec's schemas.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlightctlClient, FlightctlError, type Fleet } from "../../clients/flightctl/index.ts";
import { flightctlSpec, labDevices, startLabFlightctl, type LabFlightctl } from "../../lab/flightctl/index.ts";

let dir: string;
let lab: LabFlightctl;
let client: FlightctlClient;
const signal = new AbortController().signal;
const spec = flightctlSpec();

const fleet = (name: string, image: string, extra: Partial<Fleet["spec"]> = {}): Fleet => ({
  apiVersion: "flightctl.io/v1beta1",
  kind: "Fleet",
  metadata: { name },
  spec: {
    selector: { matchLabels: { fleet: name } },
    template: {
      spec: { applications: [{ appType: "container", name: "web", image, ports: ["8080:80"], envVars: { A: "1" } }] },
    },
    ...extra,
  },
});

async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "bosun-flightctl-contract-"));
  lab = await startLabFlightctl({
    dir,
    devices: labDevices(23, ["north", "south"]),
    token: "lab-token",
    simulation: { stepMs: 20 },
    tickMs: 10,
  });
  client = new FlightctlClient({
    url: lab.url,
    token: "lab-token",
    ca: await readFile(lab.caFile, "utf8"),
    pageSize: 5,
    backoffBaseMs: 10,
    backoffMaxMs: 50,
  });
});

afterAll(async () => {
  await client?.close();
  await lab?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("Flightctl client against the lab server and the spec", () => {
  it("verifies TLS by default and sends the bearer token", async () => {
    const noCa = new FlightctlClient({ url: lab.url, token: "lab-token", retries: 0 });
    await expect(noCa.listFleets({ signal })).rejects.toMatchObject({ statusCode: 0, code: "FLIGHTCTL_UNREACHABLE" });
    await noCa.close();
    const noToken = new FlightctlClient({ url: lab.url, ca: await readFile(lab.caFile, "utf8"), retries: 0 });
    const err = (await noToken.listFleets({ signal }).catch((e: unknown) => e)) as FlightctlError;
    expect(err).toBeInstanceOf(FlightctlError);
    expect(err.statusCode).toBe(401);
    await noToken.close();
  });

  it("creates fleets whose devices get the template, and every answer matches the spec", async () => {
    const created = await client.createFleet(fleet("north", "quay.io/bosun/web:1.0"), signal);
    expect(spec.validate("Fleet", created)).toEqual([]);
    await client.createFleet(fleet("south", "quay.io/bosun/web:1.0"), signal);
    await until("north's devices running web:1.0", async () => {
      const devices = await client.listDevices({ labelSelector: { matchLabels: { fleet: "north" } }, signal });
      return devices.length === 12 && devices.every((d) => d.status?.applications[0]?.status === "Running");
    });
    const devices = await client.listDevices({ labelSelector: "fleet=north", signal });
    for (const d of devices) {
      expect(spec.validate("Device", d)).toEqual([]);
      expect(d.metadata.owner).toBe("Fleet/north");
      expect(d.spec?.applications?.[0]).toMatchObject({ image: "quay.io/bosun/web:1.0" });
    }
    const fleets = await client.listFleets({ signal });
    expect(fleets.map((f) => f.metadata.name)).toEqual(["north", "south"]);
    fleets.forEach((f) => expect(spec.validate("Fleet", f)).toEqual([]));
  });

  it("pages lists with continue (pages of 5) and the list pages match the spec", async () => {
    const res = await fetchRaw("devices?limit=5&labelSelector=fleet%3Dsouth");
    expect(spec.validate("DeviceList", res)).toEqual([]);
    expect((res as { metadata: { continue?: string } }).metadata.continue).toBeTruthy();
    const all = await client.listDevices({
      labelSelector: { matchExpressions: [{ key: "fleet", operator: "In", values: ["south"] }] },
      signal,
    });
    expect(all).toHaveLength(11);
    expect(new Set(all.map((d) => d.metadata.name)).size).toBe(11);
    expect(lab.server.count("GET devices")).toBeGreaterThanOrEqual(3);
  });

  it("refuses a stale resourceVersion with 409 and the Status body of the spec", async () => {
    const f = await client.getFleet("north", signal);
    await client.replaceFleet({ ...f, metadata: { ...f.metadata, labels: { tier: "a" } } }, signal);
    const err = (await client.replaceFleet(f, signal).catch((e: unknown) => e)) as FlightctlError;
    expect(err.conflict).toBe(true);
    expect(err.detail).toMatch(/has been modified/);
    const raw = await fetchRaw("fleets/nope");
    expect(spec.validate("Status", raw)).toEqual([]);
    expect(raw).toMatchObject({
      kind: "Status",
      status: "Failure",
      code: 404,
      message: 'Fleet of name "nope" not found',
    });
  });

  it("refuses a device spec write on a fleet's device (409), and an invalid image (400)", async () => {
    const d = await client.getDevice("edge-0000", signal);
    const owned = (await client
      .replaceDevice(
        { ...d, spec: { applications: [{ appType: "container", name: "x", image: "quay.io/x:1" }] } },
        signal,
      )
      .catch((e: unknown) => e)) as FlightctlError;
    expect(owned.conflict).toBe(true);
    expect(owned.detail).toMatch(/owned by Fleet\/north/);
    const f = await client.getFleet("south", signal);
    const bad = (await client
      .replaceFleet(
        {
          ...f,
          spec: {
            ...f.spec,
            template: { spec: { applications: [{ appType: "container", name: "w", image: "Quay.io/UPPER CASE:1" }] } },
          },
        },
        signal,
      )
      .catch((e: unknown) => e)) as FlightctlError;
    expect(bad.invalid).toBe(true);
    expect(bad.message).toMatch(/invalid image reference/);
    const invalid = (await client
      .replaceFleet(
        {
          ...f,
          spec: { ...f.spec, template: { spec: { applications: [{ appType: "container", name: "w" } as never] } } },
        },
        signal,
      )
      .catch((e: unknown) => e)) as FlightctlError;
    expect(invalid.statusCode).toBe(400);
    expect(invalid.detail).toMatch(/image/);
  });

  it("backs off and retries 429 and 500; a POST is not repeated after a 500", async () => {
    const before = client.counts.retries;
    lab.inject({ method: "GET", path: /^fleets\/north$/, status: 429 });
    lab.inject({ method: "GET", path: /^fleets\/north$/, status: 500, times: 2 });
    const f = await client.getFleet("north", signal);
    expect(f.metadata.name).toBe("north");
    expect(client.counts.retries - before).toBe(3);
    lab.inject({ method: "POST", path: /^fleets$/, status: 500 });
    const err = (await client
      .createFleet(fleet("east", "quay.io/bosun/web:1.0"), signal)
      .catch((e: unknown) => e)) as FlightctlError;
    expect(err.statusCode).toBe(500);
    await expect(client.getFleet("east", signal)).rejects.toMatchObject({ statusCode: 404 });
  });

  it("rolls a template out in batches, within the disruption budget, each batch after approval", async () => {
    const f = await client.getFleet("south", signal);
    lab.store.resetMaxInFlight("south");
    await client.replaceFleet(
      {
        ...f,
        metadata: { ...f.metadata, annotations: { "fleet-controller/rolloutApprovalMethod": "manual" } },
        spec: {
          ...fleet("south", "quay.io/bosun/web:2.0").spec,
          rolloutPolicy: {
            deviceSelection: { strategy: "BatchSequence", sequence: [{ limit: 2 }] },
            disruptionBudget: { maxUnavailable: 3 },
          },
        },
      },
      signal,
    );
    const onV2 = async (): Promise<number> =>
      (await client.listDevices({ labelSelector: "fleet=south", signal })).filter(
        (d) => d.spec?.applications?.[0]?.["image"] === "quay.io/bosun/web:2.0",
      ).length;
    await sleep(100);
    expect(await onV2()).toBe(0); // manual approval: the first batch waits
    const approve = async (): Promise<void> => {
      const cur = await client.getFleet("south", signal);
      await client.replaceFleet(
        {
          ...cur,
          metadata: {
            ...cur.metadata,
            annotations: { ...cur.metadata.annotations, "fleet-controller/rolloutApproved": "true" },
          },
        },
        signal,
      );
    };
    await approve();
    await until("batch 1 rendered", async () => (await onV2()) === 2);
    await sleep(150);
    expect(await onV2()).toBe(2);
    await approve();
    await until("all of south on 2.0", async () => (await onV2()) === 11);
    await until(
      "rollout complete",
      async () => (await client.getFleet("south", signal)).status?.conditions[0]?.status === "False",
    );
    expect(lab.store.maxInFlight("south")).toBeLessThanOrEqual(3);
    expect(lab.store.maxInFlight("south")).toBeGreaterThan(0);
  });
});

async function fetchRaw(path: string): Promise<unknown> {
  const { Agent, fetch } = await import("undici");
  const dispatcher = new Agent({ connect: { ca: await readFile(lab.caFile, "utf8") } });
  const res = await fetch(`${lab.url}/api/v1/${path}`, { headers: { authorization: "Bearer lab-token" }, dispatcher });
  const body = (await res.json()) as unknown;
  await dispatcher.close();
  return body;
}
