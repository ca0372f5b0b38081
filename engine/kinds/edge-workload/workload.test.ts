import { describe, expect, it } from "vitest";
import { loadFleet } from "../../desired/load-fleet.ts";
import { rolloutPolicy, assignWaves } from "./rollout-policy.ts";
import { deviceTarget } from "./targets.ts";
import type { EdgeDevice } from "./ports.ts";
import { readWorkload } from "./workload.ts";

const enc = new TextEncoder();
function workload(spec: string) {
  const loaded = loadFleet([
    {
      path: "w.yaml",
      bytes: enc.encode(
        `apiVersion: fleet.bosun.dev/v1alpha1\nkind: EdgeWorkload\nmetadata: { name: cams, namespace: edge }\nspec:\n${spec}`,
      ),
    },
  ]);
  if (!loaded.ok) throw new Error(loaded.diagnostics.map((d) => d.message).join("\n"));
  return readWorkload(loaded.objects[0]!);
}

const containers = `  containers:
    - name: analyzer
      image: quay.io/a/cams:1
      env: [{ name: A, value: "1" }]
      ports: [{ containerPort: 8080 }, { containerPort: 53, hostPort: 5353, protocol: UDP }]
      resources: { limits: { cpu: 250m, memory: 1Gi } }
`;

const device = (name: string, labels: Record<string, string>, extra: Partial<EdgeDevice> = {}): EdgeDevice => ({
  name,
  labels,
  applications: [],
  appOwners: {},
  appStates: {},
  settled: true,
  lastSeenMs: 1_000_000,
  summary: "Online",
  capacity: { cpuMilli: 1000, memoryBytes: 2 ** 30 },
  resourceVersion: "1",
  ...extra,
});

describe("EdgeWorkload → Flightctl", () => {
  it("turns containers into container applications (ports host:container, limits in podman units)", () => {
    const w = workload(`  fleet: stores\n${containers}`);
    expect(w.mode).toBe("fleet");
    expect(w.applications).toEqual([
      {
        appType: "container",
        name: "cams",
        image: "quay.io/a/cams:1",
        envVars: { A: "1" },
        ports: ["8080:8080", "5353:53"],
        resources: { limits: { cpu: "0.25", memory: "1g" } },
      },
    ]);
  });

  it("names the applications of several containers after each, and the revision follows the spec", () => {
    const a = workload(`  fleet: stores\n  containers: [{ name: x, image: q.io/x:1 }, { name: y, image: q.io/y:1 }]\n`);
    expect(a.applications.map((x) => x.name)).toEqual(["cams-x", "cams-y"]);
    const b = workload(`  fleet: stores\n  containers: [{ name: x, image: q.io/x:2 }, { name: y, image: q.io/y:1 }]\n`);
    expect(b.revision).not.toBe(a.revision);
    expect(b.strategyDigest).toBe(a.strategyDigest);
  });

  it("maps waves to BatchSequence batches, the trailing wave to the implicit batch, maxUnavailable to the budget", () => {
    const w = workload(`  fleet: stores
  strategy:
    maxUnavailable: 25%
    successThreshold: "80%"
    waves:
      - { name: pilot, selector: { matchLabels: { rack: r1 } }, limit: 2 }
      - { name: stores, approval: required }
${containers}`);
    expect(w.waves.map((x) => [x.name, x.approval, x.declared])).toEqual([
      ["pilot", "auto", true],
      ["stores", "required", true],
    ]);
    expect(rolloutPolicy(w, 40)).toEqual({
      deviceSelection: {
        strategy: "BatchSequence",
        sequence: [{ selector: { matchLabels: { rack: "r1" } }, limit: 2, successThreshold: "80%" }],
      },
      disruptionBudget: { maxUnavailable: 10 },
      successThreshold: "80%",
    });
    const devices = [
      device("d3", { rack: "r1" }),
      device("d1", { rack: "r1" }),
      device("d2", { rack: "r1" }),
      device("d4", { rack: "r2" }),
    ];
    const sorted = [...devices].sort((a, b) => (a.name < b.name ? -1 : 1));
    const waves = assignWaves(w.waves, sorted, (d) => d.labels);
    expect(sorted.map((d) => `${d.name}:${waves.get(d)}`)).toEqual(["d1:0", "d2:0", "d3:1", "d4:1"]);
  });

  it("adds an implicit trailing wave when the last declared one selects", () => {
    const w = workload(`  fleet: stores\n  strategy: { waves: [{ name: pilot, limit: "10%" }] }\n${containers}`);
    expect(w.waves.map((x) => x.name)).toEqual(["pilot", "remaining"]);
    expect(rolloutPolicy(w, 0)).toMatchObject({
      deviceSelection: { sequence: [{ limit: "10%" }] },
      disruptionBudget: { maxUnavailable: 1 },
    });
  });

  it("reads a device's state: offline past the timeout is unreachable, whatever it ran", () => {
    const w = workload(`  fleet: stores\n${containers}`);
    const apps = w.applications as unknown as Record<string, unknown>[];
    const running = device("d1", {}, { applications: apps, appStates: { cams: "Running" } });
    expect(deviceTarget(running, w.applications, 1_000_500, 1000)).toMatchObject({ state: "ready", onRevision: true });
    expect(deviceTarget(running, w.applications, 1_002_000, 1000)).toMatchObject({
      state: "unreachable",
      onRevision: true,
    });
    const failing = device("d1", {}, { applications: apps, appStates: { cams: "Error" } });
    expect(deviceTarget(failing, w.applications, 1_000_500, 1000)).toMatchObject({
      state: "failed",
      reason: "cams Error",
    });
    const applying = device("d1", {}, { applications: apps, settled: false });
    expect(deviceTarget(applying, w.applications, 1_000_500, 1000)).toMatchObject({
      state: "pending",
      onRevision: false,
    });
    const old = device(
      "d1",
      {},
      { applications: [{ ...apps[0], image: "quay.io/a/cams:0" }], appStates: { cams: "Running" } },
    );
    expect(deviceTarget(old, w.applications, 1_000_500, 1000)).toMatchObject({ state: "ready", onRevision: false });
    expect(deviceTarget(device("d1", {}), w.applications, 1_000_500, 1000)).toMatchObject({ state: "missing" });
  });
});
