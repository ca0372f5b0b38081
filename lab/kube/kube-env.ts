import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureKubeBinaries } from "./binaries.ts";
import { KubeLabError } from "./errors.ts";
import { waitReady } from "./health.ts";
import { writeKubeconfig } from "./kubeconfig.ts";
import { createLabPki, randomToken, type LabPki } from "./pki.ts";
import { freeLoopbackPorts } from "./ports.ts";
import { pidRunning, startDetached, stopPid } from "./proc.ts";
import { readState, writeState, type KubeEnvState } from "./state.ts";
import type { KubeBinaries } from "./paths.ts";

export { ensureKubeBinaries, kubeBinariesCached } from "./binaries.ts";
export type { KubeEnvState } from "./state.ts";

/** What a client needs to talk to the lab apiserver. Plain data: it crosses vitest's provide/inject. */
export interface KubeConnection {
  readonly kubeconfigPath: string;
  /** `https://127.0.0.1:<port>` */
  readonly server: string;
  /** Bearer token of `bosun-admin` (group system:masters). Never log it. */
  readonly token: string;
  /** Lab CA: verifies the apiserver; also the client CA and the CSR signing CA. */
  readonly caFile: string;
  /** Work dir holding state.json; {@link attachKubeEnv} takes it to restart or stop the env. */
  readonly workDir: string;
}

export interface KubeEnv extends KubeConnection {
  /** Stops kube-apiserver only and starts it again on the same port; resolves when /readyz is ok. */
  restartApiServer(opts?: { signal?: AbortSignal }): Promise<void>;
  /** Stops kube-apiserver only (to test clients during an outage); `startApiServer` brings it back. */
  stopApiServer(): Promise<void>;
  startApiServer(opts?: { signal?: AbortSignal }): Promise<void>;
  /** Stops controller-manager, apiserver and etcd (SIGTERM, then SIGKILL) and removes the work dir. */
  stop(opts?: { keepWorkDir?: boolean }): Promise<void>;
}

export interface StartOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (line: string) => void;
  /** Fixed work dir (the CLI uses one under the cache); default a fresh 0700 temp dir. */
  readonly workDir?: string;
  /** Owner process; the env is reaped by a later start once it is gone. null: never reaped. Default: this process. */
  readonly ownerPid?: number | null;
  readonly env?: NodeJS.ProcessEnv;
}

const WORKDIR_PREFIX = "bosun-kube-";

function shmOrTmp(): string {
  return existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
}

function apiserverArgs(pki: LabPki, dir: string, apiPort: number, etcdPort: number): string[] {
  return [
    `--etcd-servers=http://127.0.0.1:${etcdPort}`,
    "--bind-address=127.0.0.1",
    `--secure-port=${apiPort}`,
    "--advertise-address=127.0.0.1",
    "--insecure-port=0",
    `--tls-cert-file=${pki.servingCert}`,
    `--tls-private-key-file=${pki.servingKey}`,
    `--client-ca-file=${pki.caCert}`,
    `--token-auth-file=${join(dir, "tokens.csv")}`,
    "--enable-bootstrap-token-auth=true",
    "--authorization-mode=RBAC",
    `--service-account-key-file=${pki.saPub}`,
    `--service-account-signing-key-file=${pki.saKey}`,
    "--service-account-issuer=https://kubernetes.default.svc",
    "--service-cluster-ip-range=10.0.0.0/24",
    "--allow-privileged=true",
    "--endpoint-reconciler-type=none",
    "--profiling=false",
    `--cert-dir=${join(dir, "certs")}`,
  ];
}

function controllerManagerArgs(pki: LabPki, dir: string): string[] {
  return [
    `--kubeconfig=${join(dir, "controller-manager.kubeconfig")}`,
    "--leader-elect=false",
    "--bind-address=127.0.0.1",
    "--secure-port=0",
    "--port=0",
    `--service-account-private-key-file=${pki.saKey}`,
    `--root-ca-file=${pki.caCert}`,
    `--cluster-signing-cert-file=${pki.caCert}`,
    `--cluster-signing-key-file=${pki.caKey}`,
    "--controllers=*,bootstrapsigner,tokencleaner,-nodeipam,-nodelifecycle,-cloud-node-lifecycle",
    "--profiling=false",
  ];
}

/** Reaps environments whose owner process is gone (a crashed test run): stops their servers, removes dirs. */
export async function reapStaleKubeEnvs(): Promise<void> {
  const root = tmpdir();
  for (const name of await readdir(root).catch(() => [] as string[])) {
    if (!name.startsWith(WORKDIR_PREFIX)) continue;
    const dir = join(root, name);
    const state = await readState(dir).catch(() => undefined);
    if (state === undefined || state.ownerPid === null || pidRunning(state.ownerPid, "")) continue;
    await attachKubeEnv(dir)
      .then((e) => e.stop())
      .catch(() => undefined);
  }
}

/**
 * Starts etcd, kube-apiserver and kube-controller-manager on 127.0.0.1 with random free ports,
 * token auth, RBAC, service-account keys and a lab CA (serving, client and CSR signing), waits
 * for /readyz and for the controller-manager's first work, and writes a CA-verified kubeconfig.
 */
export async function startKubeEnv(opts: StartOptions = {}): Promise<KubeEnv> {
  const { signal } = opts;
  const bins = await ensureKubeBinaries({
    ...(signal ? { signal } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(opts.env ? { env: opts.env } : {}),
  });
  await reapStaleKubeEnvs();
  const workDir = opts.workDir ?? (await mkdtemp(join(tmpdir(), WORKDIR_PREFIX)));
  await mkdir(workDir, { recursive: true, mode: 0o700 });
  const etcdDataDir = await mkdtemp(join(shmOrTmp(), "bosun-etcd-"));
  const pids = { etcd: 0, apiserver: 0, controllerManager: 0 };
  try {
    const pki = await createLabPki(workDir, signal);
    const token = randomToken();
    const cmToken = randomToken();
    await writeFile(
      join(workDir, "tokens.csv"),
      `${token},bosun-admin,bosun-admin,system:masters\n${cmToken},system:kube-controller-manager,kcm,system:masters\n`,
      { mode: 0o600 },
    );
    const [etcdPort, etcdPeerPort, apiPort] = (await freeLoopbackPorts(3)) as [number, number, number];
    const etcdLog = join(workDir, "etcd.log");
    pids.etcd = startDetached(
      bins.etcd,
      [
        "--name=bosun",
        `--data-dir=${etcdDataDir}`,
        `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
        `--initial-cluster=bosun=http://127.0.0.1:${etcdPeerPort}`,
      ],
      etcdLog,
    );
    opts.onProgress?.(`[bosun-kube] etcd starting on 127.0.0.1:${etcdPort}`);
    await waitReady("etcd", { url: `http://127.0.0.1:${etcdPort}/health` }, () => pidRunning(pids.etcd, "etcd"), {
      logFile: etcdLog,
      ...(signal ? { signal } : {}),
    });
    const server = `https://127.0.0.1:${apiPort}`;
    const kubeconfigPath = join(workDir, "kubeconfig");
    await writeKubeconfig(kubeconfigPath, server, pki.caCert, "bosun-admin", token);
    await writeKubeconfig(
      join(workDir, "controller-manager.kubeconfig"),
      server,
      pki.caCert,
      "kube-controller-manager",
      cmToken,
    );
    const state: KubeEnvState = {
      version: 1,
      workDir,
      etcdDataDir,
      ownerPid: opts.ownerPid === undefined ? process.pid : opts.ownerPid,
      server,
      apiPort,
      etcdPort,
      caFile: pki.caCert,
      kubeconfigPath,
      token,
      bins,
      apiserverArgs: apiserverArgs(pki, workDir, apiPort, etcdPort),
      pids,
    };
    await writeState(state);
    const env = await attachKubeEnv(workDir);
    opts.onProgress?.(`[bosun-kube] kube-apiserver starting on ${server}`);
    await env.startApiServer(signal ? { signal } : {});
    const cmLog = join(workDir, "controller-manager.log");
    const cmPid = startDetached(bins.kubeControllerManager, controllerManagerArgs(pki, workDir), cmLog);
    await writeState({
      ...(await readState(workDir)),
      pids: { ...(await readState(workDir)).pids, controllerManager: cmPid },
    });
    opts.onProgress?.("[bosun-kube] kube-controller-manager starting");
    // The controller-manager has no serving port here; its first visible work (the default
    // ServiceAccount) says its informers and controllers run.
    await waitReady(
      "kube-controller-manager",
      { url: `${server}/api/v1/namespaces/default/serviceaccounts/default`, caFile: pki.caCert, token },
      () => pidRunning(cmPid, "kube-controller-manager"),
      { logFile: cmLog, ...(signal ? { signal } : {}) },
    );
    opts.onProgress?.(`[bosun-kube] ready: ${server} (kubeconfig ${kubeconfigPath})`);
    return attachKubeEnv(workDir);
  } catch (err) {
    const st = await readState(workDir).catch(() => undefined);
    const all = st ? st.pids : pids;
    await stopPid(all.controllerManager, "kube-controller-manager");
    await stopPid(all.apiserver, "kube-apiserver");
    await stopPid(all.etcd, "etcd");
    await rm(etcdDataDir, { recursive: true, force: true });
    if (opts.workDir === undefined) await rm(workDir, { recursive: true, force: true });
    throw err instanceof KubeLabError ? err : new KubeLabError("kube env failed to start", { cause: err });
  }
}

/** A handle on a running environment described by `<workDir>/state.json`, usable from any process. */
export async function attachKubeEnv(workDir: string): Promise<KubeEnv> {
  const s0 = await readState(workDir);
  const bins: KubeBinaries = s0.bins;
  const apiLog = join(workDir, "apiserver.log");
  const stopApiServer = async (): Promise<void> => {
    const s = await readState(workDir);
    // Open watches hold a graceful shutdown for a long time; a short grace, then SIGKILL.
    await stopPid(s.pids.apiserver, "kube-apiserver", 3_000);
  };
  const startApiServer = async (o: { signal?: AbortSignal } = {}): Promise<void> => {
    const s = await readState(workDir);
    if (pidRunning(s.pids.apiserver, "kube-apiserver")) throw new KubeLabError("kube-apiserver already running");
    const pid = startDetached(bins.kubeApiServer, s.apiserverArgs, apiLog);
    await writeState({ ...s, pids: { ...s.pids, apiserver: pid } });
    await waitReady(
      "kube-apiserver",
      { url: `${s.server}/readyz`, caFile: s.caFile, token: s.token },
      () => pidRunning(pid, "kube-apiserver"),
      { logFile: apiLog, ...(o.signal ? { signal: o.signal } : {}) },
    );
  };
  return {
    kubeconfigPath: s0.kubeconfigPath,
    server: s0.server,
    token: s0.token,
    caFile: s0.caFile,
    workDir,
    stopApiServer,
    startApiServer,
    async restartApiServer(o = {}) {
      await stopApiServer();
      await startApiServer(o);
    },
    async stop(o = {}) {
      const s = await readState(workDir);
      await stopPid(s.pids.controllerManager, "kube-controller-manager");
      await stopPid(s.pids.apiserver, "kube-apiserver");
      await stopPid(s.pids.etcd, "etcd");
      await rm(s.etcdDataDir, { recursive: true, force: true });
      if (o.keepWorkDir !== true) await rm(workDir, { recursive: true, force: true });
    },
  };
}
