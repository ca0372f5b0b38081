/**
 * The Proxmox VE client: a thin typed client over fetch for the API subset Bosun uses
 * (../shared/specs/proxmox, PVE 9.1). Public surface — kept stable for the TenantCluster backend:
 *
 * ```ts
 * const pve = new ProxmoxClient({ url: "https://pve:8006", caFile, auth: { tokenId: "bosun@pve!gitops", secret } });
 * const id = await pve.nextId(signal);
 * await pve.waitForTask(await pve.clone("pve1", 9000, { newid: id, name: "acme-w1", full: true }, signal), { signal });
 * await pve.setConfig("pve1", id, { cores: 2, memory: 2048, ciuser: "bosun", ipconfig: { 0: { ip: "dhcp" } },
 *   cicustom: { user: "snippets:snippets/acme-w1.yaml" } }, signal);
 * await pve.waitForTask(await pve.resizeDisk("pve1", id, "scsi0", "20G", signal), { signal });
 * await pve.waitForTask(await pve.start("pve1", id, signal), { signal });
 * const s = await pve.status("pve1", id, signal); // s.status, s.cpu, s.mem, s.maxmem
 * await pve.waitForTask(await pve.shutdown("pve1", id, { timeout: 60, forceStop: true }, signal), { signal });
 * await pve.waitForTask(await pve.destroy("pve1", id, { purge: true }, signal), { signal });
 * ```
 *
 * - Every call takes an optional AbortSignal; each request also has its own deadline (`timeoutMs`).
 * - Task-starting calls return the UPID at once; `waitForTask` polls `/nodes/{node}/tasks/{upid}/status`
 *   (node from the UPID) and throws ProxmoxTaskError (failed exitstatus, log tail) or
 *   ProxmoxTaskTimeoutError (the task keeps running: wait again, or find it with `tasks()`).
 * - A task-starting call whose answer is lost (status 0) is looked up in the node's task list and its
 *   UPID returned; a clone is first checked by its new VMID (absent → sent again), and its task is
 *   the one of ours that began at the new VM's `meta` ctime. When several of our clones of that
 *   template began in the same second, they cannot be told apart: the no-answer ProxmoxError
 *   (status 0) is thrown, and the new VM exists with `lock: clone` until its task ends — treat a
 *   VM holding that lock as a clone in progress, never clone it again.
 * - Errors are ProxmoxError: `status` (0 = no answer), `method`, `path`, `reason` (the server's
 *   message or status line), `errors` (per parameter, on 400), and `unauthorized`, `forbidden`,
 *   `notFound`, `transient`. A template VMID that does not exist: clone fails with 500
 *   "Configuration file 'nodes/<node>/qemu-server/<id>.conf' does not exist" (`notFound`).
 * - User data: Proxmox's API cannot upload snippets (`…/storage/{storage}/upload` takes iso, vztmpl,
 *   import only), so user data is a snippet file placed on a `snippets` storage out of band (a shared
 *   directory, NFS/CephFS, or scp) and referenced with `cicustom: { user: "<storage>:snippets/<file>" }`.
 * - `requests` counts requests per `METHOD /path/{pattern}` (benchmarks).
 */
export { ProxmoxClient, patternOf, type ProxmoxAuth, type ProxmoxClientOptions, type WaitOptions } from "./client.ts";
export { ProxmoxError, ProxmoxTaskError, ProxmoxTaskTimeoutError } from "./errors.ts";
export {
  ciCustomString,
  decodeSshKeys,
  encodeSshKeys,
  ipConfigString,
  parsePropertyString,
  configParams,
  cloneParams,
} from "./params.ts";
export { formatUpid, parseUpid, taskSucceeded } from "./upid.ts";
export type { TransportOptions } from "./transport.ts";
export type * from "./types.ts";
