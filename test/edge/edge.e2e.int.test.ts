/**
 * End to end (issue 15): the real CLI (`bosun serve`) with the real git server and kube-apiserver,
 * and the lab Flightctl with 50 devices in 2 fleets plus 3 devices outside fleets for the virtual
 * node. One story: EdgeWorkloads created (a pilot wave, then a wave waiting for its Git approval),
 * an image update in batches within the budget with an offline device that becomes unreachable
 * after the timeout and does not fail the rollout, the engine SIGKILLed mid-rollout and restarted
 * (no duplicate or lost application, budget held), a plain Pod manifest in Git running on a device
 * through the virtual node (`kubectl get pod` Running), and deletes.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { FlightctlClient, type Fleet } from "../../clients/flightctl/index.ts";
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import { loadFleet } from "../../engine/desired/load-fleet.ts";
import { readWorkload } from "../../engine/kinds/edge-workload/workload.ts";
import { createBareRepo, git, startGitServer, WorkTree, type GitServer } from "../../lab/git-server/index.ts";
import { labDevices, startLabFlightctl, type LabFlightctl } from "../../lab/flightctl/index.ts";
import { createTestNamespace, kubeClient, kubeConnection, kubectlEnv, type TestNamespace } from "../support/kube.ts";
import { startEngineProcess, waitFor, type EngineProcess } from "../e2e/support.ts";

const run = promisify(execFile);
const TOKEN_ENV = "BOSUN_E2E_FLIGHTCTL_TOKEN";
const signal = new AbortController().signal;

describe("EdgeWorkloads and the virtual node end to end", () => {
  let kube: KubeClient;
  let ns: TestNamespace;
  let server: GitServer;
  let gitRoot: string;
  let tree: WorkTree;
  let lab: LabFlightctl;
  let labDir: string;
  let flightctl: FlightctlClient;
  let engine: EngineProcess | undefined;
  let engineConfig: Record<string, unknown>;
  const files: Record<string, string | null> = {};
  const nodeName = `vk-flightctl-${randomBytes(3).toString("hex")}`;

  const cams = (image: string): string => `apiVersion: fleet.bosun.dev/v1alpha1
kind: EdgeWorkload
metadata: { name: cams, namespace: ${ns.name} }
spec:
  fleet: north
  strategy:
    maxUnavailable: 3
    waves:
      - { name: pilot, selector: { matchLabels: { rack: rack1 } }, limit: 3 }
      - { name: rest, approval: required }
  containers:
    - name: analyzer
      image: ${image}
      ports: [{ containerPort: 8080 }]
`;
  const signage = (): string => `apiVersion: fleet.bosun.dev/v1alpha1
kind: EdgeWorkload
metadata: { name: signage, namespace: ${ns.name} }
spec:
  fleet: south
  strategy: { maxUnavailable: 4 }
  containers: [{ name: player, image: quay.io/acme/signage:3.1 }]
`;
  const podManifest = (): string => `apiVersion: v1
kind: Pod
metadata: { name: counter, namespace: ${ns.name} }
spec:
  nodeName: ${nodeName}
  nodeSelector: { pool: pods }
  tolerations: [{ key: virtual-kubelet.io/provider, operator: Exists }]
  containers: [{ name: app, image: quay.io/acme/counter:1, resources: { requests: { cpu: 500m } } }]
`;

  const push = async (change: Record<string, string | null>, message: string): Promise<void> => {
    Object.assign(files, change);
    await tree.commitAndPush("main", change, message);
  };
  const revisionOf = (name: string): string => {
    const present = Object.entries(files).filter((e): e is [string, string] => e[1] !== null);
    const loaded = loadFleet(present.map(([path, text]) => ({ path, bytes: new TextEncoder().encode(text) })));
    if (!loaded.ok) throw new Error(loaded.diagnostics.map((d) => d.message).join("\n"));
    return readWorkload(loaded.objects.find((o) => o.kind === "EdgeWorkload" && o.name === name)!).revision;
  };
  const approve = (name: string, wave: string): Promise<void> => {
    const revision = revisionOf(name);
    return push(
      {
        [`approvals/${ns.name}.${name}.${wave}.${revision}.yaml`]: `apiVersion: bosun.dev/v1alpha1
kind: Approval
metadata: { name: ${ns.name}.${name}.${wave}.${revision} }
spec:
  target: { kind: EdgeWorkload, namespace: ${ns.name}, name: ${name} }
  wave: ${wave}
  revision: ${revision}
  approvedBy: e2e
`,
      },
      `approve ${name} ${wave}`,
    );
  };
  const statusFile = async (name: string): Promise<Record<string, unknown> | undefined> => {
    const text = await git([
      "--git-dir",
      join(gitRoot, "fleet.git"),
      "show",
      `bosun/status:objects/EdgeWorkload/${ns.name}/${name}.yaml`,
    ]).catch(() => undefined);
    return text ? (parse(text) as Record<string, unknown>) : undefined;
  };
  const phaseIs = (name: string, phase: string) => async (): Promise<Record<string, unknown> | undefined> => {
    const f = await statusFile(name);
    return f?.["phase"] === phase ? f : undefined;
  };
  const onImage = async (fleet: string, image: string): Promise<number> =>
    (await flightctl.listDevices({ labelSelector: `fleet=${fleet}`, signal })).filter((d) =>
      d.spec?.applications?.some((a) => a["image"] === image),
    ).length;
  /** Every device of the fleet carries exactly one copy of the application. */
  const expectOneCopyEach = async (fleet: string, app: string): Promise<void> => {
    const devices = await flightctl.listDevices({ labelSelector: `fleet=${fleet}`, signal });
    expect(devices).toHaveLength(25);
    for (const d of devices) expect(d.spec?.applications?.filter((a) => a.name === app)).toHaveLength(1);
    const f: Fleet = await flightctl.getFleet(fleet, signal);
    expect(f.spec.template.spec.applications?.filter((a) => a.name === app)).toHaveLength(1);
  };
  const explain = (name: string) => async (): Promise<string> => JSON.stringify(await statusFile(name)).slice(0, 2000);

  beforeAll(async () => {
    kube = kubeClient({ qps: 100, burst: 200 });
    ns = await createTestNamespace(kube, "edge");
    labDir = await mkdtemp(join(tmpdir(), "bosun-edge-e2e-lab-"));
    process.env[TOKEN_ENV] = randomBytes(16).toString("hex");
    const devices = [
      ...labDevices(50, ["north", "south"]),
      ...["a", "b", "c"].map((z) => ({
        name: `pod-dev-${z}`,
        labels: { pool: "pods", zone: z },
        cpu: "1",
        memory: "1Gi",
      })),
    ];
    lab = await startLabFlightctl({
      dir: labDir,
      devices,
      token: process.env[TOKEN_ENV],
      simulation: { stepMs: 150 },
      tickMs: 25,
    });
    for (const f of ["north", "south"])
      lab.store.createFleet({
        apiVersion: "flightctl.io/v1beta1",
        kind: "Fleet",
        metadata: { name: f },
        spec: { selector: { matchLabels: { fleet: f } }, template: { spec: {} } },
      });
    flightctl = new FlightctlClient({
      url: lab.url,
      token: process.env[TOKEN_ENV],
      ca: await readFile(lab.caFile, "utf8"),
    });
    gitRoot = await mkdtemp(join(tmpdir(), "bosun-edge-e2e-git-"));
    server = await startGitServer({ root: gitRoot });
    await createBareRepo(gitRoot, "fleet");
    tree = await WorkTree.open(`${server.url}/fleet.git`);
    await push(
      {
        "bosun.yaml": `apiVersion: bosun.dev/v1alpha1\nkind: BosunConfig\nmetadata:\n  annotations:\n    bosun.dev/allow-mass-deletion: "true"\ndefaults:\n  namespace: ${ns.name}\n`,
        "edge/cams.yaml": cams("quay.io/acme/cams:1.0"),
        "edge/signage.yaml": signage(),
      },
      "edge workloads",
    );
    engineConfig = {
      git: {
        repo: {
          url: `${server.url}/fleet.git`,
          ref: "main",
          mirrorDir: await mkdtemp(join(tmpdir(), "bosun-edge-e2e-mirror-")),
        },
        poll: { intervalMs: 1000, jitter: 0.1 },
      },
      kubernetes: { kubeconfig: kubeConnection().kubeconfigPath, qps: 100, burst: 200, stateNamespace: ns.name },
      engine: { requeueMs: 300 },
      listen: { host: "127.0.0.1", port: 0 },
      backends: {
        flightctl: {
          url: lab.url,
          tokenEnv: TOKEN_ENV,
          caFile: lab.caFile,
          offlineTimeoutSeconds: 3,
          virtualNode: { name: nodeName, deviceSelector: { matchLabels: { pool: "pods" } }, heartbeatSeconds: 2 },
        },
      },
    };
    engine = await startEngineProcess(engineConfig);
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === "fail" && engine)
      writeFileSync(join(tmpdir(), `bosun-edge-e2e-engine-${ns.name}.log`), engine.output());
  });

  afterAll(async () => {
    await engine?.kill("SIGTERM");
    await kube?.delete({ apiVersion: "v1", kind: "Node", name: nodeName }).catch(() => undefined);
    await kube
      ?.delete({ apiVersion: "coordination.k8s.io/v1", kind: "Lease", namespace: "kube-node-lease", name: nodeName })
      .catch(() => undefined);
    await tree?.dispose();
    await server?.stop();
    await ns?.cleanup();
    kube?.close();
    await flightctl?.close();
    await lab?.stop();
    delete process.env[TOKEN_ENV];
    for (const d of [gitRoot, labDir]) if (d) await rm(d, { recursive: true, force: true });
  });

  it("creates: the pilot wave runs, the rest waits for its approval; the other fleet's workload runs everywhere", async () => {
    const waiting = await waitFor(
      "cams waiting for approval",
      phaseIs("cams", "WaitingForApproval"),
      90_000,
      300,
      explain("cams"),
    );
    expect(waiting["counts"]).toMatchObject({ desired: 25, updated: 3, running: 3 });
    expect(await onImage("north", "quay.io/acme/cams:1.0")).toBe(3);
    const pilot = (await flightctl.listDevices({ labelSelector: "fleet=north", signal }))
      .filter((d) => d.spec?.applications?.length)
      .map((d) => d.metadata.labels?.["rack"]);
    expect(pilot).toEqual(["rack1", "rack1", "rack1"]);
    const sign = await waitFor("signage Ready", phaseIs("signage", "Ready"), 90_000, 300, explain("signage"));
    expect(sign["counts"]).toMatchObject({ desired: 25, updated: 25, running: 25, failed: 0 });
    await approve("cams", "rest");
    await waitFor("cams Ready", phaseIs("cams", "Ready"), 90_000, 300, explain("cams"));
    await expectOneCopyEach("north", "cams");
    // The rollout gauges on /metrics.
    const url = /metrics at (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(engine!.output())?.[1];
    const labels = `kind="EdgeWorkload",namespace="${ns.name}",name="cams"`;
    const metrics = await waitFor("cams gauges", async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return text.includes(`bosun_rollout_phase{${labels},phase="Ready"} 1`) ? text : undefined;
    });
    expect(metrics).toContain(`bosun_rollout_desired{${labels}} 25`);
    expect(metrics).toContain(`bosun_rollout_updated{${labels}} 25`);
    expect(lab.store.maxInFlight("north")).toBeLessThanOrEqual(3);
  });

  it("updates the image in batches within the budget; an offline device is unreachable, not failed; SIGKILL mid-rollout loses and duplicates nothing", async () => {
    lab.store.setOnline("edge-0002", false); // a north device (even index) in rack2: the rest wave
    lab.store.resetMaxInFlight("north");
    await push({ "edge/cams.yaml": cams("quay.io/acme/cams:2.0") }, "cams 2.0");
    await waitFor("pilot on 2.0", phaseIs("cams", "WaitingForApproval"), 90_000, 300, explain("cams"));
    expect(await onImage("north", "quay.io/acme/cams:2.0")).toBe(3);
    await approve("cams", "rest");
    await waitFor(
      "the rest wave under way",
      async () => (await onImage("north", "quay.io/acme/cams:2.0")) >= 8,
      90_000,
      100,
    );
    await engine!.kill("SIGKILL");
    const atKill = await onImage("north", "quay.io/acme/cams:2.0");
    engine = await startEngineProcess(engineConfig);
    const done = await waitFor(
      "every reachable device on 2.0",
      async () => {
        const f = await statusFile("cams");
        const c = (f?.["counts"] ?? {}) as Record<string, number>;
        return c["running"] === 24 && c["offline"] === 1 ? f : undefined;
      },
      120_000,
      300,
      explain("cams"),
    );
    expect(atKill).toBeLessThan(25);
    expect(done["counts"]).toMatchObject({ desired: 25, failed: 0, offline: 1 });
    expect(done["phase"]).toBe("Progressing"); // behind on an unreachable device: not Complete, not failed
    expect(String((done["failingDevices"] as string[])[0])).toMatch(/^edge-0002 \(rest\): unreachable: offline/);
    expect(lab.store.maxInFlight("north")).toBeLessThanOrEqual(3);
    await expectOneCopyEach("north", "cams");
    lab.store.setOnline("edge-0002", true);
    await waitFor("cams Ready once the device is back", phaseIs("cams", "Ready"), 90_000, 300, explain("cams"));
  });

  it("runs a plain Pod manifest from Git on a device through the virtual node; removing it removes the application", async () => {
    await push({ "pods/counter.yaml": podManifest() }, "counter pod");
    const pod = await waitFor(
      "counter Running",
      async () => {
        const p = await kube.get({ apiVersion: "v1", kind: "Pod", namespace: ns.name, name: "counter" });
        return (p?.["status"] as { phase?: string } | undefined)?.phase === "Running" ? p : undefined;
      },
      90_000,
      300,
    );
    const device = pod.metadata.annotations?.["edge.bosun.dev/device"];
    expect(device).toMatch(/^pod-dev-[abc]$/);
    expect((await flightctl.getDevice(device!, signal)).spec?.applications?.map((a) => a.name)).toEqual([
      `${ns.name}-counter`,
    ]);
    const { stdout } = await run("kubectl", ["get", "pod", "counter", "-n", ns.name, "-o", "wide", "--no-headers"], {
      env: kubectlEnv(),
    });
    expect(stdout).toMatch(new RegExp(`^counter\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+<none>\\s+${nodeName}\\s`));
    const node = await kube.get({ apiVersion: "v1", kind: "Node", name: nodeName });
    expect((node?.["status"] as { capacity: Record<string, string> }).capacity).toMatchObject({
      cpu: "3",
      memory: "3Gi",
    });

    await push({ "pods/counter.yaml": null }, "no counter pod");
    await waitFor("counter gone", async () =>
      (await kube.get({ apiVersion: "v1", kind: "Pod", namespace: ns.name, name: "counter" })) === undefined
        ? true
        : undefined,
    );
    await waitFor(
      "application removed",
      async () => ((await flightctl.getDevice(device!, signal)).spec?.applications ?? []).length === 0,
    );
  });

  it("deleting a workload from Git removes its applications from the fleet template and nothing else", async () => {
    await push({ "edge/cams.yaml": null }, "no cams");
    await waitFor(
      "north template empty",
      async () => ((await flightctl.getFleet("north", signal)).spec.template.spec.applications ?? []).length === 0,
    );
    await waitFor("north devices without cams", async () => (await onImage("north", "quay.io/acme/cams:2.0")) === 0);
    expect(await onImage("south", "quay.io/acme/signage:3.1")).toBe(25);
  });
});
