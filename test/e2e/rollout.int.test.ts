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
import { deploymentYaml, startEngineProcess, UnavailabilitySampler, waitFor, type EngineProcess } from "./support.ts";

const run = promisify(execFile);
const root = join(import.meta.dirname, "../..");
const MAX_UNAVAILABLE = 2;

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

  /** `kubectl get dpd` (or `-o wide`): the switch-agent row keyed by the printer column headers. */
  const kubectlRow = async (wide = false): Promise<Record<string, string>> => {
    const { stdout } = await run(
      "kubectl",
      ["get", "deviceprocessdeployment", "switch-agent", "-n", ns.name, ...(wide ? ["-o", "wide"] : [])],
      { env: kubectlEnv() },
    );
    const [header = "", row = ""] = stdout.split("\n");
    // Columns are aligned: each starts where its header starts (the last one runs to the end of the line).
    const starts = [...header.matchAll(/\S+/g)].map((m) => ({ name: m[0], at: m.index }));
    return Object.fromEntries(starts.map((c, i) => [c.name, row.slice(c.at, starts[i + 1]?.at ?? row.length).trim()]));
  };
  /** Every engine's output so far (the engine is restarted once). */
  const outputs: (() => string)[] = [];
  const metricsUrl = (): string => {
    const all = [...(engine?.output() ?? "").matchAll(/metrics at (http:\/\/127\.0\.0\.1:\d+)\/metrics/g)];
    const url = all.at(-1)?.[1];
    if (!url) throw new Error("the engine has not said where its metrics are");
    return url;
  };
  /** The per-rollout gauges of switch-agent, from the engine's /metrics. */
  const rolloutMetrics = async (): Promise<Record<string, number>> => {
    const text = await (await fetch(`${metricsUrl()}/metrics`)).text();
    const out: Record<string, number> = {};
    const labels = `kind="DeviceProcessDeployment",namespace="${ns.name}",name="switch-agent"`;
    for (const name of ["desired", "updated", "unavailable", "wave"]) {
      const m = new RegExp(`^bosun_rollout_${name}\\{${labels}\\} (\\S+)$`, "m").exec(text);
      if (m) out[name] = Number(m[1]);
    }
    const phase = new RegExp(`^bosun_rollout_phase\\{${labels},phase="(\\w+)"\\} 1$`, "m").exec(text);
    if (phase) out[`phase:${phase[1]}`] = 1;
    return out;
  };
  const waitForMetrics = (want: Record<string, number>): Promise<Record<string, number>> =>
    waitFor(
      `rollout metrics ${JSON.stringify(want)}`,
      async () => {
        const got = await rolloutMetrics();
        return Object.entries(want).every(([k, v]) => got[k] === v) ? got : undefined;
      },
      60_000,
      250,
      async () => JSON.stringify(await rolloutMetrics()),
    );

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
        "devices/switch-agent.yaml": deploymentYaml(ns.name, "v1.0.0", MAX_UNAVAILABLE),
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
    outputs.push(engine.output);
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
    // kubectl, point 1 of 3: the canary is done, the fleet wave waits; nothing beyond the canary exists.
    const n = String(rack1.length);
    expect(await kubectlRow()).toMatchObject({
      DESIRED: "12",
      CURRENT: n,
      READY: n,
      "UP-TO-DATE": n,
      AVAILABLE: n,
      UNAVAILABLE: String(12 - rack1.length),
      PHASE: "WaitingForApproval",
      WAVE: "fleet(2/2)",
    });
    await waitForMetrics({
      desired: 12,
      updated: rack1.length,
      unavailable: 12 - rack1.length,
      wave: 2,
      "phase:WaitingForApproval": 1,
    });
    await approve("fleet");
    await waitFor("first rollout complete", complete(), 120_000);
  });

  it("rolls a version bump wave by wave, never more than maxUnavailable down; an obsolete approval is quiet, a wrong one loud", async () => {
    const before = await statusOf();
    const sampler = new UnavailabilitySampler(client, ns.name);
    await sampler.start();
    try {
      await tree.commitAndPush(
        "main",
        { "devices/switch-agent.yaml": deploymentYaml(ns.name, "v1.1.0", MAX_UNAVAILABLE) },
        "switch-agent v1.1.0",
      );
      await waitFor("the v1.1.0 fleet wave waiting for approval", async () => {
        const s = await statusOf();
        return s["revision"] !== before["revision"] && (await progressing()).reason === "WaitingForApproval";
      });
      const s = await statusOf();
      // The approval of v1.0.0 is obsolete, not "refused": no noise in the message, status or log.
      expect(s["approvalsRefused"]).toEqual([]);
      expect(String(s["approvalsObsolete"])).toContain(`fleet-${String(before["revision"])}.yaml`);
      expect(String((await progressing()).message)).not.toContain("refused");
      // kubectl, point 2 of 3: every device is ready, only the canary runs the new revision.
      const rack1 = sim.devices.filter((d) => d.labels["rack"] === "rack1").length;
      const row = await kubectlRow(true);
      expect(row).toMatchObject({
        DESIRED: "12",
        CURRENT: "12",
        "UP-TO-DATE": String(rack1),
        PHASE: "WaitingForApproval",
        WAVE: "fleet(2/2)",
        REVISION: String(s["revision"]),
        STRATEGY: "RollingUpdate",
      });
      expect(row["MESSAGE"]).toContain(`wave fleet waits for approval of revision ${String(s["revision"])}`);
      await waitForMetrics({ updated: rack1, wave: 2, "phase:WaitingForApproval": 1 });
      // A wrong approval that could be meant for this rollout is loud: status, Event, log line.
      const wrong = approvalDocument({
        namespace: ns.name,
        name: "switch-agent",
        wave: "fleet",
        revision: "0badc0ffee0badc0",
        approvedBy: "e2e",
        folder: "approvals/",
      });
      await tree.commitAndPush("main", { [wrong.path]: wrong.text }, "a wrong approval");
      await waitFor("the wrong approval refused in status", async () =>
        String((await statusOf())["approvalsRefused"]).includes("revision 0badc0ffee0badc0, not the current revision"),
      );
      const refusedEvent = await waitFor("an ApprovalRefused Event", async () =>
        (await client.list("v1", "Event", { namespace: ns.name })).items.find(
          (e) => e["reason"] === "ApprovalRefused" && String(e["message"]).includes("0badc0ffee0badc0"),
        ),
      );
      expect(refusedEvent["type"]).toBe("Warning");
      await waitFor("a log line naming the refused approval", async () =>
        engine?.output().includes(`${wrong.name} (${wrong.path}) approves wave fleet of revision 0badc0ffee0badc0`),
      );
      const file = await waitFor("the refusal in the status file", async () => {
        const f = await statusFile().catch(() => undefined);
        return String(f?.["lastError"] ?? "").includes("0badc0ffee0badc0") ? f : undefined;
      });
      expect(String(file["lastError"])).not.toContain(`fleet-${String(before["revision"])}.yaml`);
      // The obsolete file was reported once in the log, however many passes ran since.
      const obsoleteFile = `fleet-${String(before["revision"])}.yaml`;
      const reported = (engine?.output() ?? "")
        .split("\n")
        .filter((l) => l.includes("obsolete approval file") && l.includes(obsoleteFile));
      expect(reported).toHaveLength(1);
      await tree.commitAndPush("main", { [wrong.path]: null }, "remove the wrong approval");
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
          "devices/switch-agent.yaml": deploymentYaml(ns.name, "v1.2.0", MAX_UNAVAILABLE).replace(
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
      outputs.push(engine.output);
      await waitFor("v1.2.0 rolled out after the restart", complete(target), 90_000, 250, snapshot);
      // kubectl, point 3 of 3: complete.
      await waitFor("kubectl shows the rollout complete", async () => {
        const row = await kubectlRow();
        return row["PHASE"] === "Complete" ? row : undefined;
      });
      expect(await kubectlRow()).toMatchObject({
        DESIRED: "12",
        CURRENT: "12",
        READY: "12",
        "UP-TO-DATE": "12",
        AVAILABLE: "12",
        UNAVAILABLE: "0",
        PHASE: "Complete",
        WAVE: "done(2/2)",
      });
      await waitForMetrics({ desired: 12, updated: 12, unavailable: 0, wave: 2, "phase:Ready": 1 });
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
      { "devices/switch-agent.yaml": deploymentYaml(ns.name, "v9.9.9", MAX_UNAVAILABLE) },
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
        "devices/switch-agent.yaml": deploymentYaml(ns.name, "v1.2.0", MAX_UNAVAILABLE).replace(
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
      { "devices/switch-agent.yaml": deploymentYaml(ns.name, "v1.3.0", MAX_UNAVAILABLE) },
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

  it("never logged a progress line saying Complete before every process ran the revision and reported ready", () => {
    const lines = outputs
      .flatMap((out) => out().split("\n"))
      .flatMap((line) => {
        try {
          return [String((JSON.parse(line) as { msg?: unknown }).msg ?? "")];
        } catch {
          return [];
        }
      })
      .filter((msg) => msg.startsWith("switch-agent: "));
    const complete = lines.filter((msg) => msg.startsWith("switch-agent: Complete "));
    expect(complete.length).toBeGreaterThan(0);
    for (const msg of complete) {
      const m = /· ready (\d+)\/(\d+) · updated (\d+) ·/.exec(msg);
      expect(m, msg).not.toBeNull();
      expect([m?.[1], m?.[3]], msg).toEqual([m?.[2], m?.[2]]);
      expect(Number(m?.[2]), msg).toBeGreaterThan(0);
    }
  });

  it("kubectl get deviceprocessdeployment shows DaemonSet's columns plus phase and wave", async () => {
    const { stdout } = await run("kubectl", ["get", "deviceprocessdeployment", "-n", ns.name], { env: kubectlEnv() });
    const [header, row] = stdout.trim().split("\n");
    expect(header?.split(/\s+/)).toEqual([
      "NAME",
      "DESIRED",
      "CURRENT",
      "READY",
      "UP-TO-DATE",
      "AVAILABLE",
      "UNAVAILABLE",
      "PHASE",
      "WAVE",
      "AGE",
    ]);
    expect(row?.split(/\s+/).slice(0, 9)).toEqual([
      "switch-agent",
      "12",
      "12",
      "12",
      "12",
      "12",
      "0",
      "Complete",
      "done(2/2)",
    ]);
  });
});
