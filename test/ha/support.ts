/**
 * Shared pieces of the HA tests: in-cluster-style credentials (a ServiceAccount token from the
 * TokenRequest API and the lab CA, written where a pod has them, under a temp root), the
 * ServiceAccount's RBAC from deploy/ (the ClusterRole and the state Role the install ships), and
 * engine replicas as child processes that reach the apiserver only through their audit proxy.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import type { JsonObject } from "../../clients/kubernetes/types.ts";

const root = join(import.meta.dirname, "../..");
const SA_DIR = "var/run/secrets/kubernetes.io/serviceaccount";

/** Server-side apply with force as the test's installer (what `kubectl apply --server-side` does). */
async function install(client: KubeClient, obj: JsonObject): Promise<void> {
  await client.apply(obj, { fieldManager: "bosun-ha-test", force: true });
}

async function manifests(path: string): Promise<JsonObject[]> {
  const text = await readFile(join(root, path), "utf8");
  return parseAllDocuments(text)
    .map((d) => d.toJSON() as JsonObject | null)
    .filter((d): d is JsonObject => d !== null);
}

/**
 * A ServiceAccount in `namespace` with the engine's RBAC from deploy/: ClusterRole bosun-engine
 * (deploy/rbac/bosun.yaml) bound to it, and the state Role (deploy/engine/rbac-state.yaml) in
 * `namespace`; returns a root dir holding its token, the CA and the namespace where a pod has them.
 */
export async function inClusterCredentials(
  client: KubeClient,
  namespace: string,
  caFile: string,
): Promise<{ root: string; serviceAccount: string; cleanup(): Promise<void> }> {
  const name = "bosun-engine";
  await install(client, { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace } });
  const clusterRole = (await manifests("deploy/rbac/bosun.yaml")).find(
    (o) => o["kind"] === "ClusterRole" && (o["metadata"] as { name: string }).name === "bosun-engine",
  );
  if (!clusterRole) throw new Error("deploy/rbac/bosun.yaml has no ClusterRole bosun-engine");
  await install(client, clusterRole);
  const binding = `bosun-engine-${namespace}`;
  await install(client, {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: binding, labels: { "bosun.dev/test": "true" } },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "bosun-engine" },
    subjects: [{ kind: "ServiceAccount", name, namespace }],
  });
  for (const o of await manifests("deploy/engine/rbac-state.yaml")) {
    const meta = o["metadata"] as Record<string, unknown>;
    const subjects = (o["subjects"] as Record<string, unknown>[] | undefined)?.map((s) => ({ ...s, name, namespace }));
    await install(client, { ...o, metadata: { ...meta, namespace }, ...(subjects ? { subjects } : {}) });
  }
  const answer = await client.rest.request<{ status: { token: string } }>({
    method: "POST",
    path: `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
    body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 3600 } },
  });
  const dir = await mkdtemp(join(tmpdir(), "bosun-ha-sa-"));
  await mkdir(join(dir, SA_DIR), { recursive: true });
  await writeFile(join(dir, SA_DIR, "token"), answer.status.token, { mode: 0o600 });
  await writeFile(join(dir, SA_DIR, "ca.crt"), await readFile(caFile));
  await writeFile(join(dir, SA_DIR, "namespace"), namespace);
  return {
    root: dir,
    serviceAccount: `system:serviceaccount:${namespace}:${name}`,
    async cleanup() {
      await client
        .delete({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", name: binding })
        .catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface Replica {
  readonly name: string;
  readonly child: ChildProcess;
  output(): string;
  /** Base URL of /metrics, /readyz (once the replica said it). */
  url(): string | undefined;
  kill(signal: NodeJS.Signals): Promise<void>;
  readonly exited: boolean;
}

/**
 * `bosun serve` (the real CLI) with no kubeconfig: in-cluster credentials under `credentialsRoot`,
 * the apiserver at 127.0.0.1:`apiPort` (the replica's audit proxy), POD_NAME = `name`.
 */
export async function startReplica(opts: {
  name: string;
  apiPort: number;
  credentialsRoot: string;
  config: Record<string, unknown>;
}): Promise<Replica> {
  const dir = await mkdtemp(join(tmpdir(), `bosun-ha-${opts.name}-`));
  const file = join(dir, "engine.yaml");
  await writeFile(file, stringify(opts.config));
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env["KUBECONFIG"];
  const child = spawn(process.execPath, [join(root, "bin/bosun.mjs"), "serve", "--config", file], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...env,
      BOSUN_LOG_LEVEL: "info",
      KUBERNETES_SERVICE_HOST: "127.0.0.1",
      KUBERNETES_SERVICE_PORT: String(opts.apiPort),
      BOSUN_IN_CLUSTER_ROOT: opts.credentialsRoot,
      POD_NAME: opts.name,
      HOME: dir,
    },
  });
  let out = "";
  const collect = (d: Buffer): void => {
    out += d.toString();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  let exited = false;
  child.once("exit", () => {
    exited = true;
    void rm(dir, { recursive: true, force: true });
  });
  return {
    name: opts.name,
    child,
    output: () => out,
    url: () => /metrics at (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(out)?.[1],
    get exited() {
      return exited;
    },
    kill: (signal) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill(signal);
      }),
  };
}

/** The value of `bosun_leader{shard="N"}` on a replica's /metrics (undefined when unreachable). */
export async function leaderGauge(replica: Replica, shard: number): Promise<number | undefined> {
  const url = replica.url();
  if (!url || replica.exited) return undefined;
  try {
    const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
    const m = new RegExp(`^bosun_leader\\{shard="${shard}"\\} (\\S+)$`, "m").exec(text);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export async function readyz(replica: Replica): Promise<{ status: number; text: string } | undefined> {
  const url = replica.url();
  if (!url || replica.exited) return undefined;
  const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
  return { status: res.status, text: await res.text() };
}
