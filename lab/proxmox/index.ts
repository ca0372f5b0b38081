/**
 * The lab Proxmox: a loopback HTTPS server faithful to the Proxmox VE 9.1 API subset in
 * ../shared/specs/proxmox (server.ts, spec.ts), a cluster of nodes with capacity, templates and
 * asynchronous tasks (cluster.ts, tasks.ts), and VMs that boot a simulated worker which joins a
 * Kubernetes cluster the way kubeadm + kubelet TLS bootstrap do (worker/).
 *
 * ```ts
 * const pve = await startLabProxmox({ stateDir });            // nodes pve1, pve2; template 9000 on pve1
 * const client = new ProxmoxClient({ url: pve.url, caFile: pve.caFile, auth: pve.tokens.admin });
 * // user data: write a snippet, reference it with cicustom
 * const userData = joinUserData({ endpoint, token, caCertHash, hostname: "acme-w1" });
 * await writeFile(join(pve.snippetsDir, "acme-w1.yaml"), userData);
 * await client.setConfig("pve1", id, { cicustom: { user: pve.snippetVolume("acme-w1.yaml") } });
 * pve.vms();                                                   // what exists, behind the API
 * pve.inject.taskFailure({ type: "qmclone", message: "clone failed: out of space" });
 * await pve.stop();
 * ```
 *
 * Join data format (the contract with the TenantCluster backend): the VM's cloud-init user data is
 * `#cloud-config` YAML with `hostname: <vm name>` and a `runcmd` entry
 * `kubeadm join <host:port> --token <id>.<secret> --discovery-token-ca-cert-hash sha256:<hex> [--node-name <name>]`
 * (see `joinUserData`). It reaches the VM through `cicustom: user=snippets:snippets/<file>`: the
 * snippet file is written into `snippetsDir` (the shared `snippets` directory storage; on a real
 * cluster an NFS/CephFS share or scp, as the API cannot upload snippets). `write_files` entries are
 * written under the VM's disk folder. On start the lab writes the config drive (`cidata/`) and boots
 * the guest; a `cicustom` volume that does not exist fails the `qmstart` task with
 * "volume '<volid>' does not exist", as qemu-server does.
 *
 * The guest (worker/kubelet.ts): token discovery of `kube-public/cluster-info` (JWS + CA pin) →
 * CSR `system:node:<name>` with signer `kubernetes.io/kube-apiserver-client-kubelet` → certificate
 * (kept on the VM's disk: a reboot re-uses it) → Node registered (providerID `proxmox://lab/<vmid>`,
 * capacity = VM cores/memory) → Lease `kube-node-lease/<name>` renewed every `heartbeatMs`, Ready
 * posted. `shutdown` (ACPI) makes it post Ready=False "node is shutting down" and exit; `stop` kills
 * it (the Lease stops being renewed; a node-lifecycle controller would mark it NotReady); `destroy`
 * removes the VM and its disk (the Node object stays in the cluster: deleting it is the caller's job,
 * as with real VMs). The cluster needs kubeadm's join setup: `prepareClusterForJoin` and
 * `createBootstrapToken` (kubeadm.ts).
 *
 * Faithful behaviour (see docs/proxmox.md): parameter verification (400 + `errors`), permissions
 * per token (the `readonly` token gets 403 on writes), 401 delayed `authFailureDelayMs` (3 s
 * upstream), 501 for unknown paths, a template VMID that does not exist → 500 "Configuration file
 * 'nodes/<node>/qemu-server/<id>.conf' does not exist", a VM bigger than its node → the `qmstart`
 * task fails ("MAX <n> vcpus allowed per VM on this node", or "start failed: QEMU exited with
 * code 1" after "kvm: cannot set up guest memory 'pc.ram': Cannot allocate memory"), a failed clone
 * removes the half-created VM, `destroy` of a running VM → 500 "VM <id> is running - destroy failed".
 * State (VM configs, power state) is kept in `<stateDir>/state.json`: `startLabProxmox` on the same
 * stateDir resumes it (running VMs boot again; tasks are not kept).
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createLabPki } from "../kube/pki.ts";
import { LabCluster, type LabNodeSpec, type LabTemplateSpec } from "./cluster.ts";
import { LabProxmoxServer, type HttpFault, type LabToken, type LabUser, type Privileges } from "./server.ts";
import type { TaskDelay, TaskFault } from "./tasks.ts";
import type { WorkerMode } from "./worker/handle.ts";

export {
  caCertHash,
  createBootstrapToken,
  joinUserData,
  prepareClusterForJoin,
  NODE_BOOTSTRAP_GROUP,
} from "./kubeadm.ts";
export { ApiSchema, specsDir } from "./spec.ts";
export type {
  LabNodeSpec,
  LabTemplateSpec,
  HttpFault,
  LabToken,
  LabUser,
  Privileges,
  TaskDelay,
  TaskFault,
  WorkerMode,
};

export interface LabProxmoxOptions {
  /** Keeps PKI, state.json, snippets and VM folders. Reuse it to restart with the same state. */
  readonly stateDir: string;
  /** Default: pve1 and pve2, 8 cores and 16384 MiB each. */
  readonly nodes?: readonly LabNodeSpec[];
  /** Default: VMID 9000 `k8s-worker-template` on pve1 (2 cores, 2048 MiB, 10G). Only used on a fresh stateDir. */
  readonly templates?: readonly LabTemplateSpec[];
  /** `process` (default): each running VM is a child Node process; `in-process` for benchmarks. */
  readonly workerMode?: WorkerMode;
  /** Worker Lease renewal interval (default 10 000 ms, as kubelet). */
  readonly heartbeatMs?: number;
  /** Delay of 401 answers (default 3000 ms, as pve-http-server). */
  readonly authFailureDelayMs?: number;
  /** Base task durations (ms) by type (default qmclone 300, others 50). */
  readonly taskMs?: Readonly<Record<string, number>>;
  /** Default ACPI shutdown timeout (s) when the call gives none (default 180). */
  readonly shutdownTimeoutS?: number;
  /**
   * Simulated pmxcfs storage locks per node (off by default): a full clone holds its node's disk
   * storage lock `fullCloneMs` (≈5 000 upstream for 1 GiB), a linked clone `linkedCloneMs`; a clone
   * waiting longer than `timeoutMs` (10 000 upstream) fails its task with "clone failed: cfs-lock
   * 'storage-vmstore' error: got lock request timeout". Set `taskMs.qmclone: 0` with it.
   */
  readonly storageLock?: { readonly fullCloneMs: number; readonly linkedCloneMs: number; readonly timeoutMs: number };
  readonly port?: number;
}

/** How to authenticate as one of the lab's identities (ProxmoxClient's `auth`). */
export interface LabCredentials {
  /** `bosun@pve!gitops`: every privilege. */
  readonly admin: { readonly tokenId: string; readonly secret: string };
  /** `bosun@pve!readonly`: VM.Audit, Sys.Audit, Datastore.Audit only. */
  readonly readonly: { readonly tokenId: string; readonly secret: string };
  /** `root@pam` with a password: ticket auth. */
  readonly root: { readonly username: string; readonly password: string };
}

/** One VM as the lab holds it (tests look behind the API). */
export interface LabVmView {
  readonly vmid: number;
  readonly node: string;
  readonly name: string;
  readonly status: "running" | "stopped";
  readonly template: boolean;
  readonly lock?: string;
  readonly cores: number;
  readonly memoryMiB: number;
  readonly config: Readonly<Record<string, string | number>>;
  /** The guest's PID when running as a process. */
  readonly pid?: number;
}

export interface LabProxmox {
  /** `https://127.0.0.1:<port>` (the client appends `/api2/json`). */
  readonly url: string;
  /** The lab CA that signs the server certificate (for the client's `caFile`). */
  readonly caFile: string;
  readonly tokens: LabCredentials;
  /** Where snippet files go; `snippetVolume(file)` names one for `cicustom`. */
  readonly snippetsDir: string;
  snippetVolume(file: string): string;
  /** Every VM (templates included), by VMID. */
  vms(): LabVmView[];
  /** Requests served by `METHOD /path/{template}` since start (or the last reset). */
  requestCounts(): ReadonlyMap<string, number>;
  resetRequestCounts(): void;
  /** Clone lock waits that timed out (with `storageLock`). */
  lockTimeouts(): number;
  /** The last lines of a VM's console (the guest's log). */
  consoleLog(vmid: number): Promise<string>;
  readonly inject: {
    /** The next `times` (default 1) tasks of this type (and VMID) fail with the message. */
    taskFailure(f: TaskFault): void;
    /** The next `times` tasks of this type take `ms` longer (a slow clone). */
    taskDelay(d: TaskDelay): void;
    /**
     * The next `times` matching requests: answer `status` `message` (after `delayMs`), or only wait
     * `delayMs` first (a hung server), or serve and then hold the answer `delayAnswerMs` (work done,
     * answer lost to a caller with a shorter deadline).
     */
    http(f: HttpFault): void;
    /** Drops every injected fault. */
    clear(): void;
  };
  /** Stops the server and every guest (hard); the state stays in stateDir. */
  stop(): Promise<void>;
}

interface Secrets {
  admin: string;
  readonly: string;
  root: string;
}

async function secrets(stateDir: string): Promise<Secrets> {
  const file = join(stateDir, "secrets.json");
  if (existsSync(file)) return JSON.parse(await readFile(file, "utf8")) as Secrets;
  const uuid = (): string => crypto.randomUUID();
  const s: Secrets = { admin: uuid(), readonly: uuid(), root: uuid() };
  await writeFile(file, JSON.stringify(s), { mode: 0o600 });
  return s;
}

export async function startLabProxmox(options: LabProxmoxOptions): Promise<LabProxmox> {
  const stateDir = options.stateDir;
  await mkdir(join(stateDir, "pki"), { recursive: true, mode: 0o700 });
  const pkiDir = join(stateDir, "pki");
  if (!existsSync(join(pkiDir, "apiserver.crt"))) await createLabPki(pkiDir);
  const s = await secrets(stateDir);
  const nodes = options.nodes ?? [
    { name: "pve1", cores: 8, memoryMiB: 16384 },
    { name: "pve2", cores: 8, memoryMiB: 16384 },
  ];
  const templates = options.templates ?? [{ vmid: 9000, node: nodes[0]?.name ?? "pve1", name: "k8s-worker-template" }];
  const cluster = new LabCluster({
    stateDir,
    nodes,
    templates,
    workerMode: options.workerMode ?? "process",
    heartbeatMs: options.heartbeatMs ?? 10_000,
    ...(options.taskMs ? { taskMs: options.taskMs } : {}),
    ...(options.shutdownTimeoutS !== undefined ? { shutdownTimeoutS: options.shutdownTimeoutS } : {}),
    ...(options.storageLock ? { storageLock: options.storageLock } : {}),
  });
  await cluster.init();
  const tokens: LabCredentials = {
    admin: { tokenId: "bosun@pve!gitops", secret: s.admin },
    readonly: { tokenId: "bosun@pve!readonly", secret: s.readonly },
    root: { username: "root@pam", password: s.root },
  };
  const server = new LabProxmoxServer({
    cluster,
    tokens: [
      { ...tokens.admin, privileges: "admin" },
      { ...tokens.readonly, privileges: "audit" },
    ],
    users: [{ ...tokens.root, privileges: "admin" }],
    certFile: join(pkiDir, "apiserver.crt"),
    keyFile: join(pkiDir, "apiserver.key"),
    ...(options.authFailureDelayMs !== undefined ? { authFailureDelayMs: options.authFailureDelayMs } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
  });
  let port: number;
  try {
    port = await server.listen();
  } catch (e) {
    await cluster.close();
    throw e;
  }
  return {
    url: `https://127.0.0.1:${port}`,
    caFile: join(pkiDir, "ca.crt"),
    tokens,
    snippetsDir: cluster.snippetsDir,
    snippetVolume: (file) => `snippets:snippets/${file}`,
    vms: () =>
      [...cluster.vms.values()]
        .sort((a, b) => a.vmid - b.vmid)
        .map((v) => ({
          vmid: v.vmid,
          node: v.node,
          name: String(v.config["name"] ?? ""),
          status: v.status,
          template: !!v.config["template"],
          ...(v.lock ? { lock: v.lock } : {}),
          cores: cluster.vcpus(v),
          memoryMiB: cluster.memoryMiB(v),
          config: { ...v.config },
          ...(v.worker ? { pid: v.worker.pid } : {}),
        })),
    requestCounts: () => server.requests,
    resetRequestCounts: () => server.requests.clear(),
    lockTimeouts: () => cluster.locks.timeouts,
    consoleLog: (vmid) => readFile(join(cluster.vmDir(vmid), "console.log"), "utf8").catch(() => ""),
    inject: {
      taskFailure: (f) => cluster.tasks.faults.push({ ...f }),
      taskDelay: (d) => cluster.tasks.delays.push({ ...d }),
      http: (f) => server.faults.push({ ...f }),
      clear: () => {
        cluster.tasks.faults.length = 0;
        cluster.tasks.delays.length = 0;
        server.faults.length = 0;
      },
    },
    stop: async () => {
      await server.close();
      await cluster.close();
    },
  };
}
