/**
 * End to end (issue 5): the real CLI (`bosun serve`) against the real git server and the real
 * kube-apiserver, with the device simulator playing the agents. One fleet repo, one deployment,
 * one story: first rollout, approvals, a version bump sampled for maxUnavailable, SIGKILL of the
 * engine mid-rollout, failing devices pausing the rollout, `bosun plan`, and kubectl's columns.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { writeFileSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import type { KubeObject } from "../../clients/kubernetes/types.ts";
import { approvalDocument } from "../../engine/rollout/approvals.ts";
import { installDeviceCrds } from "../../lab/devices/crds.ts";
import { startSimulator, type Simulator } from "../../lab/devices/simulator.ts";
import { createBareRepo, git, startGitServer, WorkTree, type GitServer } from "../../lab/git-server/index.ts";
import { createTestNamespace, kubeClient, kubeConnection, kubectlEnv, type TestNamespace } from "../support/kube.ts";
import { startEngineProcess, UnavailabilitySampler, waitFor, type EngineProcess } from "./support.ts";

const run = promisify(execFile);
const root = join(import.meta.dirname, "../..");
const MAX_UNAVAILABLE = 2;
const checksum = (v: string): string => Buffer.from(v.padEnd(32, "-")).toString("hex").slice(0, 64);

function deploymentYaml(namespace: string, version: string): string {
  return `apiVersion: azure.com/v1alpha1
kind: DeviceProcessDeployment
metadata:
  name: switch-agent
  namespace: ${namespace}
spec:
  selector:
    matchLabels:
      type: switch
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: ${MAX_UNAVAILABLE}
  successThreshold: "75%"
  waves:
    - name: canary
      selector:
        matchLabels:
          rack: rack1
    - name: fleet
      approval: required
  template:
    metadata:
      labels:
        app: switch-agent
    spec:
      artifact:
        type: oci
        url: ghcr.io/apollo/switch-agent:${version}
        version: ${version}
        checksumSHA256: "${checksum(version)}"
      execution:
        backend: systemd
        command: ["/usr/bin/switch-agent"]
`;
}

describe("DeviceProcessDeployment rollout end to end", () => {
  let client: KubeClient;
  let ns: TestNamespace;
  let server: GitServer;
  let gitRoot: string;
  let repoUrl: string;
  let tree: WorkTree;
  let sim: Simulator;
  let engine: EngineProcess | undefined;
  let engineConfig: Record<string, unknown>;

  const getDeployment = async (): Promise<KubeObject | undefined> =>
    client.get({
      apiVersion: "azure.com/v1alpha1",
      kind: "DeviceProcessDeployment",
      namespace: ns.name,
      name: "switch-agent",
    });
  const statusOf = async (): Promise<Record<string, unknown>> =>
    ((await getDeployment())?.["status"] ?? {}) as Record<string, unknown>;
  const progressing = async (): Promise<{ reason?: string; message?: string }> =>
    (((await statusOf())["conditions"] ?? []) as { type: string; reason?: string; message?: string }[]).find(
      (c) => c.type === "Progressing",
    ) ?? {};
  const processes = async (): Promise<KubeObject[]> =>
    (await client.list("azure.com/v1alpha1", "DeviceProcess", { namespace: ns.name })).items;
  const statusFile = async (): Promise<Record<string, unknown>> => {
    const bare = join(gitRoot, "fleet.git");
    const text = await git([
      "--git-dir",
      bare,
      "show",
      `bosun/status:objects/DeviceProcessDeployment/${ns.name}/switch-agent.yaml`,
    ]);
    return parse(text) as Record<string, unknown>;
  };
  const approve = async (wave: string): Promise<string> => {
    const revision = String((await statusOf())["revision"]);
    const doc = approvalDocument({
      namespace: ns.name,
      name: "switch-agent",
      wave,
      revision,
      approvedBy: "e2e",
      folder: "approvals/",
    });
    await tree.commitAndPush("main", { [doc.path]: doc.text }, `approve ${wave} ${revision}`);
    return revision;
  };
  /** What the cluster looks like, for timeout messages. */
  const snapshot = async (): Promise<string> => {
    const s = await statusOf();
    const ps = (await processes()).map((p) => {
      const st = (p["status"] ?? {}) as { phase?: string; observedGeneration?: number };
      return `${p.metadata.labels?.["bosun.dev/device"]}:${p.metadata.labels?.["bosun.dev/revision"]?.slice(0, 6)}:g${p.metadata.generation}/o${st.observedGeneration}:${st.phase}`;
    });
    return JSON.stringify({ revision: s["revision"], conditions: s["conditions"], waves: s["waves"], processes: ps });
  };
  const complete = (revision?: string) => async (): Promise<boolean> => {
    const s = await statusOf();
    const all = await processes();
    return (
      (await progressing()).reason === "RolloutComplete" &&
      (revision === undefined || s["revision"] === revision) &&
      s["updatedNumberScheduled"] === 12 &&
      s["numberReady"] === 12 &&
      all.length === 12
    );
  };

  beforeAll(async () => {
    client = kubeClient({ qps: 200, burst: 400 });
    await installDeviceCrds(client);
    ns = await createTestNamespace(client, "e2e");
    gitRoot = await mkdtemp(join(tmpdir(), "bosun-e2e-git-"));
    server = await startGitServer({ root: gitRoot });
    await createBareRepo(gitRoot, "fleet");
    repoUrl = `${server.url}/fleet.git`;
    tree = await WorkTree.open(repoUrl);
    await tree.commitAndPush(
      "main",
      {
        "bosun.yaml": `apiVersion: bosun.dev/v1alpha1\nkind: BosunConfig\ndefaults:\n  namespace: ${ns.name}\nagents:\n  rbac: true\nstatus:\n  maxFailingDevices: 3\n`,
        "devices/switch-agent.yaml": deploymentYaml(ns.name, "v1.0.0"),
      },
      "fleet: switch-agent v1.0.0",
    );
    sim = await startSimulator({
      client,
      namespace: ns.name,
      devices: { switches: 12, racks: 3, spines: 0 },
      seed: 7,
      delayMs: [150, 450],
    });
    engineConfig = {
      git: {
        repo: { url: repoUrl, ref: "main", mirrorDir: await mkdtemp(join(tmpdir(), "bosun-e2e-mirror-")) },
        poll: { intervalMs: 1000, jitter: 0.1 },
      },
      kubernetes: { kubeconfig: kubeConnection().kubeconfigPath, qps: 100, burst: 200, stateNamespace: ns.name },
      engine: { requeueMs: 300 },
      listen: { host: "127.0.0.1", port: 0 },
    };
    engine = await startEngineProcess(engineConfig);
  });

  afterEach((ctx) => {
    // On failure, keep the engine's log next to the test's temp files for whoever investigates.
    if (ctx.task.result?.state === "fail" && engine)
      writeFileSync(join(tmpdir(), `bosun-e2e-engine-${ns.name}.log`), engine.output());
  });

  afterAll(async () => {
    await engine?.kill("SIGTERM");
    await sim?.stop();
    await tree?.dispose();
    await server?.stop();
    await ns?.cleanup();
    client?.close();
    if (gitRoot) await rm(gitRoot, { recursive: true, force: true });
  });

  it("rolls out the canary wave, then waits for an approval of the fleet wave", async () => {
    const rack1 = sim.devices
      .filter((d) => d.labels["rack"] === "rack1")
      .map((d) => d.name)
      .sort();
    expect(rack1.length).toBeGreaterThan(0);
    await waitFor(
      "the fleet wave waiting for approval",
      async () => (await progressing()).reason === "WaitingForApproval",
    );
    const created = (await processes()).map((p) => p.metadata.labels?.["bosun.dev/device"]).sort();
    expect(created).toEqual(rack1);
    const file = await waitFor("status commit naming the wait", async () => {
      const f = await statusFile().catch(() => undefined);
      return f?.["phase"] === "WaitingForApproval" ? f : undefined;
    });
    expect((file["waves"] as { name: string; state: string }[]).map((w) => [w.name, w.state])).toEqual([
      ["canary", "done"],
      ["fleet", "waiting-approval"],
    ]);
    await approve("fleet");
    await waitFor("first rollout complete", complete(), 120_000);
  });

  it("rolls a version bump wave by wave, never more than maxUnavailable down; a stale approval is refused", async () => {
    const before = await statusOf();
    const sampler = new UnavailabilitySampler(client, ns.name);
    await sampler.start();
    try {
      await tree.commitAndPush(
        "main",
        { "devices/switch-agent.yaml": deploymentYaml(ns.name, "v1.1.0") },
        "switch-agent v1.1.0",
      );
      await waitFor("the v1.1.0 fleet wave waiting for approval", async () => {
        const s = await statusOf();
        return s["revision"] !== before["revision"] && (await progressing()).reason === "WaitingForApproval";
      });
      const s = await statusOf();
      expect(String(s["approvalsRefused"])).toContain(`not the current revision ${String(s["revision"])}: refused`);
      const revision = await approve("fleet");
      await waitFor("v1.1.0 rolled out", complete(revision), 120_000);
    } finally {
      await sampler.stop();
    }
    expect(sampler.samples).toBeGreaterThan(12);
    expect(sampler.maxUnavailable).toBeGreaterThan(0);
    expect(sampler.maxUnavailable).toBeLessThanOrEqual(MAX_UNAVAILABLE);
  });

  it("resumes after SIGKILL mid-rollout without redoing finished devices or exceeding the budget", async () => {
    const sampler = new UnavailabilitySampler(client, ns.name);
    await sampler.start();
    const previous = String((await statusOf())["revision"]);
    try {
      await tree.commitAndPush(
        "main",
        {
          "devices/switch-agent.yaml": deploymentYaml(ns.name, "v1.2.0").replace(
            "      approval: required\n",
            "      approval: auto\n",
          ),
        },
        "switch-agent v1.2.0, fleet wave auto",
      );
      const target = await waitFor("a new revision in status", async () => {
        const s = await statusOf();
        return typeof s["revision"] === "string" && s["revision"] !== previous ? s["revision"] : undefined;
      });
      await waitFor("some devices updated, some not", async () => {
        const on = (await processes()).filter((p) => p.metadata.labels?.["bosun.dev/revision"] === target).length;
        return on >= 4 && on < 12;
      });
      await engine?.kill("SIGKILL");
      const finished = new Map(
        (await processes())
          .filter((p) => p.metadata.labels?.["bosun.dev/revision"] === target)
          .map((p) => [p.metadata.name, p.metadata.generation]),
      );
      engine = await startEngineProcess(engineConfig);
      await waitFor("v1.2.0 rolled out after the restart", complete(target), 90_000, 250, snapshot);
      for (const p of await processes()) {
        if (finished.has(p.metadata.name))
          expect(p.metadata.generation, `${p.metadata.name} was updated again`).toBe(finished.get(p.metadata.name));
      }
    } finally {
      await sampler.stop();
    }
    expect(sampler.maxUnavailable).toBeLessThanOrEqual(MAX_UNAVAILABLE);
  });

  it("pauses when failing devices exceed the wave's success threshold, with the reason in Kubernetes and Git", async () => {
    sim.setFailure({ versions: ["v9.9.9"], message: "health check failing: exit code 7" });
    await tree.commitAndPush(
      "main",
      { "devices/switch-agent.yaml": deploymentYaml(ns.name, "v9.9.9") },
      "switch-agent v9.9.9 (broken)",
    );
    const cond = await waitFor(
      "the rollout paused",
      async () => {
        const c = await progressing();
        return c.reason === "RolloutPaused" ? c : undefined;
      },
      120_000,
    );
    expect(cond.message).toContain("wave canary");
    const s = await statusOf();
    const failing = s["failingDevices"] as { device: string; reason: string }[];
    expect(failing.length).toBeGreaterThan(0);
    expect(failing[0]?.reason).toContain("exit code 7");
    // The fleet wave was never touched.
    const fleet = (await processes()).filter((p) => p.metadata.labels?.["bosun.dev/wave"] === "fleet");
    expect(fleet.every((p) => p.metadata.labels?.["bosun.dev/revision"] !== s["revision"])).toBe(true);
    const file = await waitFor("status file shows the pause", async () => {
      const f = await statusFile().catch(() => undefined);
      return f?.["phase"] === "Paused" ? f : undefined;
    });
    expect(String(file["failingDevices"])).toContain("exit code 7");
    expect(String(file["lastError"])).toContain("success threshold");
  });

  it("bosun plan: a PR branch with a bump prints the waves and exits 2; the tracked branch exits 0", async () => {
    sim.setFailure(undefined);
    await tree.commitAndPush(
      "main",
      {
        "devices/switch-agent.yaml": deploymentYaml(ns.name, "v1.2.0").replace(
          "      approval: required\n",
          "      approval: auto\n",
        ),
      },
      "back to v1.2.0",
    );
    await waitFor("back on v1.2.0", complete(), 90_000, 250, snapshot);
    const env = { ...process.env, KUBECONFIG: kubeConnection().kubeconfigPath };
    const plan = async (ref: string): Promise<{ code: number; stdout: string }> => {
      try {
        const { stdout } = await run(
          process.execPath,
          [join(root, "bin/bosun.mjs"), "plan", "--repo", repoUrl, "--ref", ref],
          { env, cwd: root },
        );
        return { code: 0, stdout };
      } catch (error) {
        const e = error as { code: number; stdout: string; stderr: string };
        return { code: e.code, stdout: e.stdout + e.stderr };
      }
    };
    const unchanged = await plan("main");
    expect(unchanged.stdout).toContain("no changes");
    expect(unchanged.code).toBe(0);
    await tree.run(["checkout", "--quiet", "-b", "pr-bump"]);
    await tree.commitAndPush(
      "pr-bump",
      { "devices/switch-agent.yaml": deploymentYaml(ns.name, "v1.3.0") },
      "PR: switch-agent v1.3.0",
    );
    const pr = await plan("pr-bump");
    expect(pr.code).toBe(2);
    expect(pr.stdout).toMatch(/1\. canary: \d+ of \d+ devices to update \(restart\), auto/);
    expect(pr.stdout).toMatch(/2\. fleet: \d+ of \d+ devices to update \(restart\), waits for approval/);
    await tree.run(["checkout", "--quiet", "main"]);
  });

  it("recorded the rollout as Kubernetes Events on the deployment", async () => {
    const events = (await client.list("v1", "Event", { namespace: ns.name })).items.filter(
      (e) => (e["involvedObject"] as { kind?: string; name?: string }).kind === "DeviceProcessDeployment",
    );
    const reasons = new Set(events.map((e) => String(e["reason"])));
    for (const reason of [
      "RolloutStarted",
      "RolloutProgress",
      "WaitingForApproval",
      "DeviceUnhealthy",
      "RolloutPaused",
    ])
      expect(reasons, reason).toContain(reason);
    const unhealthy = events.find((e) => e["reason"] === "DeviceUnhealthy");
    expect(unhealthy?.["type"]).toBe("Warning");
    expect(String(unhealthy?.["message"])).toContain("exit code 7");
  });

  it("keeps per-device agent RBAC (agents.rbac): each device may report on its own DeviceProcess only", async () => {
    const roles = (
      await client.list("rbac.authorization.k8s.io/v1", "Role", {
        namespace: ns.name,
        labelSelector: "app.kubernetes.io/managed-by=bosun",
      })
    ).items;
    const devices = (await processes()).map((p) => String(p.metadata.labels?.["bosun.dev/device"])).sort();
    expect(roles.map((r) => r.metadata.name).sort()).toEqual(devices.map((d) => `bosun-device-${d}`));
    const can = async (
      device: string,
      verb: string,
      resource: string,
      subresource: string,
      name: string,
    ): Promise<boolean> => {
      const review = await client.rest.request<{ status: { allowed: boolean } }>({
        method: "POST",
        path: "/apis/authorization.k8s.io/v1/subjectaccessreviews",
        body: {
          apiVersion: "authorization.k8s.io/v1",
          kind: "SubjectAccessReview",
          spec: {
            user: `bosun-device:${device}`,
            groups: ["bosun:devices"],
            resourceAttributes: { namespace: ns.name, verb, group: "azure.com", resource, subresource, name },
          },
        },
      });
      return review.status.allowed;
    };
    const [mine, other] = devices;
    expect(await can(String(mine), "patch", "deviceprocesses", "status", `switch-agent-${mine}`)).toBe(true);
    expect(await can(String(mine), "get", "deviceprocesses", "", `switch-agent-${mine}`)).toBe(true);
    expect(await can(String(mine), "patch", "deviceprocesses", "status", `switch-agent-${other}`)).toBe(false);
    expect(await can(String(mine), "patch", "deviceprocesses", "", `switch-agent-${mine}`)).toBe(false); // the spec is the engine's
  });

  it("stops cleanly on SIGTERM (exit code 0)", async () => {
    const running = engine;
    expect(running?.child.exitCode).toBeNull();
    const exited = new Promise<number | null>((resolve) => running?.child.once("exit", (code) => resolve(code)));
    running?.child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(running?.output()).toContain("shutting down");
    engine = undefined;
  });

  it("kubectl get deviceprocessdeployment shows DESIRED/CURRENT/READY/AVAILABLE", async () => {
    const { stdout } = await run("kubectl", ["get", "deviceprocessdeployment", "-n", ns.name], { env: kubectlEnv() });
    const [header, row] = stdout.trim().split("\n");
    expect(header?.split(/\s+/)).toEqual(["NAME", "DESIRED", "CURRENT", "READY", "AVAILABLE", "UNAVAILABLE", "AGE"]);
    expect(row?.split(/\s+/).slice(0, 6)).toEqual(["switch-agent", "12", "12", "12", "12", "0"]);
  });
});
