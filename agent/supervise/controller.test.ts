import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExecBackend } from "../backends/exec.ts";
import { sleep } from "../backends/proc.ts";
import { silentLogger } from "../log.ts";
import type { DeviceProcess, DeviceProcessStatus, RestartPolicy } from "../model.ts";
import { ProcessController } from "./controller.ts";
import type { ControllerDeps } from "./controller-deps.ts";
import { RecordStore } from "./record.ts";

let dir: string;
let ctrl: AbortController;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "bosun-controller-"));
  ctrl = new AbortController();
});
afterEach(async () => {
  ctrl.abort();
  await rm(dir, { recursive: true, force: true });
});

function harness() {
  const statuses: DeviceProcessStatus[] = [];
  const events: string[] = [];
  const exec = new ExecBackend({ stateDir: dir });
  const deps: ControllerDeps = {
    backend: () => exec,
    records: new RecordStore(dir),
    fetchArtifact: () => Promise.resolve({ path: "/bin/sh", sha256: "0".repeat(64) }),
    pruneArtifacts: () => Promise.resolve(),
    resolveEnv: () => Promise.resolve({}),
    publish: (_m, s) => statuses.push(s),
    event: (_m, _t, reason) => events.push(reason),
    log: silentLogger,
    stopTimeoutSec: 2,
    monitorIntervalMs: () => 50,
    restartBackoff: { baseMs: 20, maxMs: 100 },
    artifactBackoff: { baseMs: 20, maxMs: 100 },
    capabilities: () => [],
  };
  return { deps, statuses, events, last: () => statuses.at(-1) };
}

const dp = (script: string, restartPolicy: RestartPolicy): DeviceProcess => ({
  apiVersion: "azure.com/v1alpha1",
  kind: "DeviceProcess",
  metadata: { name: "app", namespace: "ns", generation: 1 },
  spec: {
    deviceRef: { kind: "SOC", name: "d" },
    artifact: { type: "file", url: "file:///bin/sh", checksumSHA256: "0".repeat(64) },
    execution: { backend: "exec", command: ["$(BOSUN_ARTIFACT)", "-c", script] },
    restartPolicy,
  },
});

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(20);
  }
}

describe("ProcessController (exec backend, fake artifact and API)", () => {
  it("Never: a failed exit ends in phase Failed with the exit code, without a restart", async () => {
    const h = harness();
    const c = new ProcessController(h.deps, { namespace: "ns", name: "app" });
    c.update(dp("exit 3", "Never"));
    c.start(ctrl.signal);
    await until(() => h.last()?.phase === "Failed");
    expect(h.last()).toMatchObject({ restartCount: 0, lastTerminationReason: "Error: exit code 3" });
    expect(h.events).toContain("ProcessExited");
    expect(h.events).not.toContain("ProcessRestarted");
  });

  it("OnFailure: exit 0 is Succeeded and stays finished after an agent restart", async () => {
    const h = harness();
    const c = new ProcessController(h.deps, { namespace: "ns", name: "app" });
    c.update(dp("exit 0", "OnFailure"));
    c.start(ctrl.signal);
    await until(() => h.last()?.phase === "Succeeded");
    ctrl.abort();
    await c.done;
    // A new agent: the record says it finished; it is not run again.
    ctrl = new AbortController();
    const h2 = harness();
    const [record] = await h2.deps.records.all();
    expect(record?.finished).toEqual({ succeeded: true });
    const c2 = new ProcessController(h2.deps, { namespace: "ns", name: "app" }, record);
    c2.update(dp("exit 0", "OnFailure"));
    c2.start(ctrl.signal);
    await until(() => h2.last()?.phase === "Succeeded");
    await sleep(300);
    expect(h2.events).not.toContain("ProcessStarted");
  });

  it("Always: crashes are restarted with back-off and counted", async () => {
    const h = harness();
    const c = new ProcessController(h.deps, { namespace: "ns", name: "app" });
    c.update(dp("sleep 0.1; exit 1", "Always"));
    c.start(ctrl.signal);
    await until(() => (h.last()?.restartCount ?? 0) >= 2);
    expect(h.last()?.lastTerminationReason).toBe("Error: exit code 1");
    expect(h.events.filter((e) => e === "ProcessRestarted").length).toBeGreaterThanOrEqual(2);
    c.delete();
    await c.done;
  });
});
