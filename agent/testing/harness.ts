/**
 * Integration-test harness for the agent against the lab kube-apiserver (inject("kube")): admin
 * client, the DeviceProcess CRD (from deploy/crds) when the global setup has not installed it, a
 * namespace per test, the agent as a real child process (bin/bosun-agent.mjs), and waits.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse, stringify } from "yaml";
import { inject } from "vitest";
import { sleep } from "../backends/proc.ts";
import { KubeClient, isStatus } from "../kube/client.ts";
import { loadKubeconfig } from "../kube/kubeconfig.ts";
import { collectionPath } from "../kube/watch.ts";
import { DEVICE_LABEL, type DeviceProcess, type DeviceProcessSpec } from "../model.ts";

export const REPO = resolve(import.meta.dirname, "../..");

export function kubeConn(): { kubeconfigPath: string; server: string; caFile: string } {
  return inject("kube");
}

export async function adminClient(): Promise<KubeClient> {
  return new KubeClient(await loadKubeconfig(kubeConn().kubeconfigPath));
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ""}`,
      );
    await sleep(100);
  }
}

export async function ensureDeviceProcessCrd(client: KubeClient): Promise<void> {
  const path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
  try {
    await client.json("GET", `${path}/deviceprocesses.azure.com`);
  } catch (err) {
    if (!isStatus(err, 404)) throw err;
    const crd = parse(await readFile(join(REPO, "deploy/crds/azure.com_deviceprocesses.yaml"), "utf8")) as unknown;
    try {
      await client.json("POST", path, crd);
    } catch (e) {
      if (!isStatus(e, 409)) throw e;
    }
  }
  await waitFor("DeviceProcess CRD established", async () => {
    const crd = await client.json<{ status?: { conditions?: { type: string; status: string }[] } }>(
      "GET",
      `${path}/deviceprocesses.azure.com`,
    );
    return crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True");
  });
  // The discovery of a new CRD lags its Established condition a little.
  await waitFor(
    "DeviceProcess API served",
    async () => (await client.json<{ items: unknown[] }>("GET", collectionPath())).items !== undefined,
  );
}

/** Installs a CRD from deploy/crds (if missing) and waits until its API is served. */
export async function ensureCrd(client: KubeClient, file: string, crdName: string, apiPath: string): Promise<void> {
  const path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
  try {
    await client.json("GET", `${path}/${crdName}`);
  } catch (err) {
    if (!isStatus(err, 404)) throw err;
    const crd = parse(await readFile(join(REPO, "deploy/crds", file), "utf8")) as unknown;
    await client.json("POST", path, crd).catch((e: unknown) => {
      if (!isStatus(e, 409)) throw e;
    });
  }
  await waitFor(
    `${crdName} served`,
    async () => (await client.json<{ items?: unknown[] }>("GET", apiPath)).items !== undefined,
  );
}

export async function createNamespace(client: KubeClient, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString("hex")}`;
  await client.json("POST", "/api/v1/namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name, labels: { "bosun.dev/test": "true" } },
  });
  return name;
}

export async function deleteNamespace(client: KubeClient, name: string): Promise<void> {
  await client.json("DELETE", `/api/v1/namespaces/${name}`).catch(() => undefined);
}

export function dpPath(ns: string, name: string): string {
  return `${collectionPath(ns)}/${name}`;
}

export async function createDp(
  client: KubeClient,
  ns: string,
  name: string,
  device: string,
  spec: Omit<DeviceProcessSpec, "deviceRef">,
): Promise<DeviceProcess> {
  return client.json<DeviceProcess>("POST", collectionPath(ns), {
    apiVersion: "azure.com/v1alpha1",
    kind: "DeviceProcess",
    metadata: { name, namespace: ns, labels: { [DEVICE_LABEL]: device } },
    spec: { deviceRef: { kind: "SOC", name: device }, ...spec },
  });
}

export async function patchSpec(
  client: KubeClient,
  ns: string,
  name: string,
  spec: Partial<DeviceProcessSpec>,
): Promise<DeviceProcess> {
  return client.json<DeviceProcess>(
    "PATCH",
    dpPath(ns, name),
    { spec },
    { contentType: "application/merge-patch+json" },
  );
}

export async function getDp(client: KubeClient, ns: string, name: string): Promise<DeviceProcess> {
  return client.json<DeviceProcess>("GET", dpPath(ns, name));
}

export async function waitForStatus(
  client: KubeClient,
  ns: string,
  name: string,
  what: string,
  pred: (dp: DeviceProcess) => boolean,
  timeoutMs = 60_000,
): Promise<DeviceProcess> {
  let last: DeviceProcess | undefined;
  try {
    return await waitFor(
      `DeviceProcess ${ns}/${name}: ${what}`,
      async () => {
        const dp = await getDp(client, ns, name);
        last = dp;
        return pred(dp) ? dp : undefined;
      },
      timeoutMs,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last status: ${JSON.stringify(last?.status)}`, { cause: err });
  }
}

export interface KubeEvent {
  reason: string;
  message: string;
  type: string;
  source?: { component?: string; host?: string };
  involvedObject: { name: string };
}
export async function events(client: KubeClient, ns: string, name?: string): Promise<KubeEvent[]> {
  const list = await client.json<{ items: KubeEvent[] }>("GET", `/api/v1/namespaces/${ns}/events`);
  return list.items.filter((e) => !name || e.involvedObject.name === name);
}

/** Pids of processes whose argv[0] is `exe` and whose argv contains `marker`. */
export async function pidsWith(marker: string, exe = "/bin/sh"): Promise<number[]> {
  const out: number[] = [];
  for (const d of await readdir("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    const cmd = await readFile(`/proc/${d}/cmdline`, "utf8").catch(() => "");
    const argv = cmd.split("\0");
    if (argv[0] === exe && argv.includes(marker)) {
      const stat = await readFile(`/proc/${d}/stat`, "utf8").catch(() => "");
      if (stat && stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z") out.push(Number(d));
    }
  }
  return out;
}

export async function killAll(marker: string, exe = "/bin/sh"): Promise<void> {
  for (const pid of await pidsWith(marker, exe))
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* gone */
    }
}

export interface AgentProc {
  proc: ChildProcess;
  logFile: string;
  logs(): Promise<string>;
  /** SIGTERM (agent stops; processes keep running) and wait for exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function startAgent(args: string[], workDir: string): Promise<AgentProc> {
  const logFile = join(workDir, `agent-${Date.now()}-${randomBytes(2).toString("hex")}.log`);
  const out = createWriteStream(logFile);
  const proc = spawn(process.execPath, [join(REPO, "bin/bosun-agent.mjs"), ...args], {
    cwd: REPO,
    stdio: ["ignore", "pipe", "pipe"],
  });
  proc.stdout?.pipe(out);
  proc.stderr?.pipe(out);
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  return {
    proc,
    logFile,
    logs: () => readFile(logFile, "utf8"),
    async stop(signal = "SIGTERM") {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
    },
  };
}

/** A kubeconfig like the lab's but pointing at another server URL (e.g. a TCP proxy). */
export async function kubeconfigVia(dir: string, server: string): Promise<string> {
  const doc = parse(await readFile(kubeConn().kubeconfigPath, "utf8")) as {
    clusters: { cluster: { server: string; "certificate-authority"?: string } }[];
  };
  for (const c of doc.clusters) {
    c.cluster.server = server;
    const ca = c.cluster["certificate-authority"];
    if (ca) c.cluster["certificate-authority"] = resolve(join(kubeConn().kubeconfigPath, ".."), ca);
  }
  const path = join(dir, "kubeconfig-proxy.yaml");
  await writeFile(path, stringify(doc), { mode: 0o600 });
  return path;
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
