/**
 * The agent's own LSB init script (deploy/agent/bosun-agent.init) with the device bundle
 * (scripts/build-agent.mjs) and the device flags, for real: it starts the agent, which runs a
 * DeviceProcess against the lab API server; `stop` ends the agent only, the process keeps running.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAgent } from "../scripts/build-agent.mjs";
import { DEVICE_NODE_FLAGS } from "./device-runtime.ts";
import type { KubeClient } from "./kube/client.ts";
import { leaseName } from "./kube/lease.ts";
import { startArtifactServer, type ArtifactServer } from "./testing/artifact-server.ts";
import {
  adminClient,
  createDp,
  createNamespace,
  deleteNamespace,
  ensureDeviceProcessCrd,
  killAll,
  kubeConn,
  pidsWith,
  REPO,
  removeDir,
  tempDir,
  waitFor,
  waitForStatus,
} from "./testing/harness.ts";

const run = promisify(execFile);
const INIT = join(REPO, "deploy/agent/bosun-agent.init");

describe("deploy/agent/bosun-agent.init", () => {
  let client: KubeClient;
  let srv: ArtifactServer;
  let ns = "";
  let dir = "";
  const device = `dev-init-${randomBytes(2).toString("hex")}`;
  const marker = `bosun-marker-${randomBytes(4).toString("hex")}`;
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, BOSUN_AGENT_DEFAULTS: join(dir, "defaults") });
  const init = async (action: string): Promise<{ code: number; out: string }> => {
    try {
      const r = await run("/bin/sh", [INIT, action], { env: env() });
      return { code: 0, out: r.stdout };
    } catch (err) {
      const e = err as { code?: number; stdout?: string };
      return { code: e.code ?? -1, out: e.stdout ?? "" };
    }
  };

  beforeAll(async () => {
    client = await adminClient();
    await ensureDeviceProcessCrd(client);
    srv = await startArtifactServer();
    ns = await createNamespace(client, "agent-init");
    dir = await tempDir("bosun-agent-init-");
    const bundle = await buildAgent(join(dir, "bosun-agent.cjs"));
    await writeFile(
      join(dir, "defaults"),
      [
        `NODE=${process.execPath}`,
        `AGENT=${bundle}`,
        `KUBECONFIG_FILE=${kubeConn().kubeconfigPath}`,
        `STATE_DIR=${dir}/state`,
        `PIDFILE=${dir}/agent.pid`,
        `LOGFILE=${dir}/agent.log`,
        "STOP_TIMEOUT=5",
        `BOSUN_DEVICE=${device}`,
        `BOSUN_AGENT_ARGS="--namespace ${ns} --allow-insecure-http --lease-interval 1"`,
        "",
      ].join("\n"),
    );
  });

  afterAll(async () => {
    await init("stop");
    await killAll(marker);
    await srv?.close();
    if (ns) await deleteNamespace(client, ns);
    client?.close();
    if (dir) await removeDir(dir);
  });

  it("starts the bundled agent with the device flags; it runs a DeviceProcess; stop ends only the agent", async () => {
    expect(await init("status")).toMatchObject({ code: 3 });
    const started = await init("start");
    expect(started).toMatchObject({ code: 0 });
    const pid = Number(await readFile(join(dir, "agent.pid"), "utf8"));
    const argv = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0");
    expect(argv.slice(1, 1 + DEVICE_NODE_FLAGS.length)).toEqual([...DEVICE_NODE_FLAGS]);
    expect(argv).toContain(device);
    expect(await init("status")).toMatchObject({ code: 0 });

    const sum = srv.put("app.sh", "#!/bin/sh\ntrap 'exit 0' TERM\nwhile true; do sleep 0.2; done\n");
    await createDp(client, ns, "app", device, {
      artifact: { type: "http", url: `${srv.url}/files/app.sh`, checksumSHA256: sum, version: "v1" },
      execution: { backend: "exec", command: ["/bin/sh", "$(BOSUN_ARTIFACT)", marker] },
      restartPolicy: "Always",
    });
    await waitForStatus(client, ns, "app", "Running", (dp) => dp.status?.phase === "Running");
    await waitFor("the device's heartbeat Lease", async () =>
      client
        .json("GET", `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${leaseName(device)}`)
        .catch(() => undefined),
    );
    const [appPid] = await pidsWith(marker);
    expect(appPid).toBeGreaterThan(0);

    expect(await init("stop")).toMatchObject({ code: 0 });
    expect(() => process.kill(pid, 0)).toThrow(); // the agent is gone
    expect(await pidsWith(marker)).toEqual([appPid]); // its process is not
    expect(await init("status")).toMatchObject({ code: 3 });
  });
});
