/**
 * The processes of one tenant control plane: a real kube-apiserver (the lab's own v1.20.2 build)
 * on the parent's etcd under its own prefix, listening on its own loopback address and port, and
 * a kube-controller-manager (CSR approving and signing with the tenant CA, bootstrap signer,
 * token cleaner, service-account tokens), as the pods of a Kamaji TenantControlPlane run them.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { waitReady } from "../kube/health.ts";
import { pidRunning, startDetached, stopPid } from "../kube/proc.ts";
import type { KubeBinaries } from "../kube/paths.ts";
import { createTenantPki, kubeconfigWithCert, type TenantPki } from "./tenant-pki.ts";

export interface TenantProcesses {
  readonly address: string;
  readonly port: number;
  readonly dir: string;
  readonly etcdPrefix: string;
  apiserverPid: number;
  controllerManagerPid: number;
}

export interface TenantControlPlane extends TenantProcesses {
  readonly pki: TenantPki;
  readonly server: string;
  /** admin.conf and super-admin.conf contents (client keys inside: never log them). */
  readonly adminConf: string;
  readonly superAdminConf: string;
}

function apiserverArgs(t: TenantProcesses, pki: TenantPki, etcdUrl: string): string[] {
  return [
    `--etcd-servers=${etcdUrl}`,
    `--etcd-prefix=${t.etcdPrefix}`,
    `--bind-address=${t.address}`,
    `--secure-port=${t.port}`,
    `--advertise-address=${t.address}`,
    "--insecure-port=0",
    `--tls-cert-file=${pki.servingCert}`,
    `--tls-private-key-file=${pki.servingKey}`,
    `--client-ca-file=${pki.caCert}`,
    "--enable-bootstrap-token-auth=true",
    "--authorization-mode=Node,RBAC",
    "--enable-admission-plugins=NodeRestriction",
    `--service-account-key-file=${pki.saPub}`,
    `--service-account-signing-key-file=${pki.saKey}`,
    "--service-account-issuer=https://kubernetes.default.svc",
    "--service-cluster-ip-range=10.96.0.0/16",
    "--allow-privileged=true",
    "--endpoint-reconciler-type=none",
    "--profiling=false",
    `--cert-dir=${join(t.dir, "certs")}`,
  ];
}

function controllerManagerArgs(dir: string, pki: TenantPki): string[] {
  return [
    `--kubeconfig=${join(dir, "controller-manager.conf")}`,
    "--leader-elect=false",
    "--bind-address=127.0.0.1",
    "--secure-port=0",
    "--port=0",
    "--use-service-account-credentials=true",
    `--service-account-private-key-file=${pki.saKey}`,
    `--root-ca-file=${pki.caCert}`,
    `--cluster-signing-cert-file=${pki.caCert}`,
    `--cluster-signing-key-file=${pki.caKey}`,
    "--controllers=*,bootstrapsigner,tokencleaner,-nodeipam,-nodelifecycle,-cloud-node-lifecycle",
    "--profiling=false",
  ];
}

/** Creates the PKI and kubeconfigs of a tenant in `dir` (once). */
export async function prepareTenant(
  dir: string,
  address: string,
  port: number,
  clusterName: string,
  signal?: AbortSignal,
): Promise<{ pki: TenantPki; server: string; adminConf: string; superAdminConf: string }> {
  await mkdir(join(dir, "certs"), { recursive: true, mode: 0o700 });
  const pki = await createTenantPki(dir, address, signal);
  const server = `https://${address}:${port}`;
  const adminConf = await kubeconfigWithCert(server, pki.caCert, "kubernetes-admin", pki.admin, clusterName);
  const superAdminConf = await kubeconfigWithCert(
    server,
    pki.caCert,
    "kubernetes-super-admin",
    pki.superAdmin,
    clusterName,
  );
  const cmConf = await kubeconfigWithCert(
    server,
    pki.caCert,
    "system:kube-controller-manager",
    pki.controllerManager,
    clusterName,
  );
  await writeFile(join(dir, "controller-manager.conf"), cmConf, { mode: 0o600 });
  await writeFile(join(dir, "super-admin.conf"), superAdminConf, { mode: 0o600 });
  return { pki, server, adminConf, superAdminConf };
}

/** Starts the tenant apiserver and waits for /readyz (anonymous, TLS verified with the tenant CA). */
export async function startTenantApiServer(
  t: TenantProcesses,
  pki: TenantPki,
  bins: KubeBinaries,
  etcdUrl: string,
  signal?: AbortSignal,
): Promise<void> {
  const log = join(t.dir, "apiserver.log");
  const pid = startDetached(bins.kubeApiServer, apiserverArgs(t, pki, etcdUrl), log);
  t.apiserverPid = pid;
  await waitReady(
    `tenant kube-apiserver ${t.address}:${t.port}`,
    { url: `https://${t.address}:${t.port}/readyz`, caFile: pki.caCert },
    () => pidRunning(pid, "kube-apiserver"),
    { logFile: log, ...(signal ? { signal } : {}) },
  );
}

export function startTenantControllerManager(t: TenantProcesses, pki: TenantPki, bins: KubeBinaries): void {
  t.controllerManagerPid = startDetached(
    bins.kubeControllerManager,
    controllerManagerArgs(t.dir, pki),
    join(t.dir, "controller-manager.log"),
  );
}

export async function stopTenantProcesses(t: TenantProcesses): Promise<void> {
  await stopPid(t.controllerManagerPid, "kube-controller-manager", 3_000);
  await stopPid(t.apiserverPid, "kube-apiserver", 3_000);
}
