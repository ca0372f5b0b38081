/**
 * The lab Proxmox cluster's state and the behaviour of its QEMU calls, as qemu-server answers them:
 * nodes with capacity, a shared VM-disk storage and a shared `snippets` directory storage, VM
 * configs with digests and locks, templates, clone/config/resize/start/shutdown/stop/destroy as
 * tasks, and a simulated worker per running VM. Kept in `state.json` across a restart (running VMs
 * boot again).
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import {
  parsePropertyString,
  type ClusterResource,
  type VmListEntry,
  type VmStatus,
} from "../../clients/proxmox/index.ts";
import { StorageLocks } from "./storage-lock.ts";
import { TaskError, TaskRunner, sleep } from "./tasks.ts";
import { startWorker, type WorkerHandle, type WorkerMode } from "./worker/handle.ts";

/** A handler's `die`: the HTTP status (500 unless said), the message, and per-parameter errors. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: Record<string, string>,
  ) {
    super(message);
  }
}

export interface LabNodeSpec {
  readonly name: string;
  readonly cores: number;
  readonly memoryMiB: number;
}

export interface LabTemplateSpec {
  readonly vmid: number;
  readonly node: string;
  readonly name: string;
  readonly cores?: number;
  readonly memoryMiB?: number;
  /** Disk size, e.g. `10G`. */
  readonly disk?: string;
}

export interface LabVm {
  vmid: number;
  node: string;
  config: Record<string, string | number>;
  status: "running" | "stopped";
  lock?: string;
  startedAt?: number;
  worker?: WorkerHandle;
  /** Set while a shutdown/stop is in progress (the worker's exit is then expected). */
  stopping?: boolean;
}

interface Persisted {
  vms: { vmid: number; node: string; config: Record<string, string | number>; status: "running" | "stopped" }[];
}

const DISK_STORAGE = "vmstore";
export const SNIPPETS_STORAGE = "snippets";

export interface ClusterOptions {
  readonly stateDir: string;
  readonly nodes: readonly LabNodeSpec[];
  readonly templates: readonly LabTemplateSpec[];
  readonly workerMode: WorkerMode;
  readonly heartbeatMs: number;
  /** Base task durations (ms) by type; default 300 for qmclone, 50 otherwise. */
  readonly taskMs?: Readonly<Record<string, number>>;
  /** How long an ACPI shutdown waits by default (s). */
  readonly shutdownTimeoutS?: number;
  /**
   * Storage locks per node: a full clone holds the lock `fullCloneMs`, a linked one `linkedCloneMs`;
   * a clone that waits longer than `timeoutMs` fails (pmxcfs). Off by default.
   */
  readonly storageLock?: { readonly fullCloneMs: number; readonly linkedCloneMs: number; readonly timeoutMs: number };
}

export class LabCluster {
  readonly vms = new Map<number, LabVm>();
  readonly tasks: TaskRunner;
  readonly locks = new StorageLocks();
  private saving: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(readonly o: ClusterOptions) {
    this.tasks = new TaskRunner((type) => o.taskMs?.[type] ?? (type === "qmclone" ? 300 : 50));
  }

  get snippetsDir(): string {
    return join(this.o.stateDir, "storage", SNIPPETS_STORAGE, "snippets");
  }

  vmDir(vmid: number): string {
    return join(this.o.stateDir, "vms", String(vmid));
  }

  /** Loads state.json or creates the templates; boots the VMs recorded running. */
  async init(): Promise<void> {
    await mkdir(this.snippetsDir, { recursive: true });
    const file = join(this.o.stateDir, "state.json");
    if (existsSync(file)) {
      const p = JSON.parse(readFileSync(file, "utf8")) as Persisted;
      for (const v of p.vms) this.vms.set(v.vmid, { vmid: v.vmid, node: v.node, config: v.config, status: "stopped" });
      for (const v of p.vms)
        if (v.status === "running") await this.boot(this.vms.get(v.vmid) as LabVm).catch(() => undefined);
    } else {
      for (const t of this.o.templates) {
        this.node(t.node);
        this.vms.set(t.vmid, {
          vmid: t.vmid,
          node: t.node,
          status: "stopped",
          config: {
            name: t.name,
            template: 1,
            cores: t.cores ?? 2,
            sockets: 1,
            memory: String(t.memoryMiB ?? 2048),
            scsihw: "virtio-scsi-pci",
            scsi0: `${DISK_STORAGE}:base-${t.vmid}-disk-0,size=${t.disk ?? "10G"}`,
            ide2: `${DISK_STORAGE}:vm-${t.vmid}-cloudinit,media=cdrom`,
            net0: "virtio=BC:24:11:00:00:01,bridge=vmbr0",
            ostype: "l26",
            agent: "1",
            boot: "order=scsi0",
            meta: `creation-qemu=9.2.0,ctime=${Math.floor(Date.now() / 1000)}`,
            vmgenid: createHash("md5")
              .update(String(t.vmid))
              .digest("hex")
              .replace(/^(.{8})(.{4})(.{4})(.{4})/, "$1-$2-$3-$4-"),
          },
        });
      }
    }
    this.save();
  }

  node(name: string): LabNodeSpec {
    const n = this.o.nodes.find((x) => x.name === name);
    if (!n) throw new ApiError(500, `no such cluster node '${name}'`);
    return n;
  }

  /** qemu-server's load_config: the VM must be on this node. */
  vm(node: string, vmid: number): LabVm {
    this.node(node);
    const v = this.vms.get(vmid);
    if (!v || v.node !== node)
      throw new ApiError(500, `Configuration file 'nodes/${node}/qemu-server/${vmid}.conf' does not exist`);
    return v;
  }

  digest(v: LabVm): string {
    const canonical = Object.keys(v.config)
      .sort()
      .map((k) => `${k}: ${v.config[k]}`)
      .join("\n");
    return createHash("sha1").update(canonical).digest("hex");
  }

  private checkLock(v: LabVm, skiplock?: number): void {
    if (v.lock && !skiplock) throw new ApiError(500, `VM is locked (${v.lock})`);
  }

  save(): void {
    const p: Persisted = {
      vms: [...this.vms.values()].map((v) => ({ vmid: v.vmid, node: v.node, config: v.config, status: v.status })),
    };
    const text = JSON.stringify(p, null, 1);
    this.saving = this.saving.then(() => writeFile(join(this.o.stateDir, "state.json"), text)).catch(() => undefined);
  }

  // ---- reads ----

  memoryMiB(v: LabVm): number {
    const m = parsePropertyString(String(v.config["memory"] ?? "512"), "current");
    return Number(m["current"] ?? 512);
  }

  vcpus(v: LabVm): number {
    return Number(v.config["cores"] ?? 1) * Number(v.config["sockets"] ?? 1);
  }

  diskBytes(v: LabVm): number {
    const size = parsePropertyString(String(v.config["scsi0"] ?? ""))["size"] ?? "0";
    return sizeBytes(size);
  }

  async status(v: LabVm): Promise<VmStatus> {
    const running = v.status === "running";
    const usage = running && v.worker ? await v.worker.usage() : { cpuSeconds: 0, rssBytes: 0 };
    const uptime = running && v.startedAt ? Math.floor((Date.now() - v.startedAt) / 1000) : 0;
    const cpus = this.vcpus(v);
    return {
      vmid: v.vmid,
      status: v.status,
      ...(running ? { qmpstatus: "running", pid: v.worker?.pid ?? 0 } : { qmpstatus: "stopped" }),
      name: String(v.config["name"] ?? `VM ${v.vmid}`),
      ...(v.lock ? { lock: v.lock } : {}),
      ...(v.config["template"] ? { template: 1 } : {}),
      ...(v.config["tags"] ? { tags: String(v.config["tags"]) } : {}),
      agent: v.config["agent"] ? 1 : 0,
      ha: { managed: 0 },
      cpus,
      cpu: running && uptime > 0 ? Math.min(cpus, usage.cpuSeconds / uptime) : 0,
      maxmem: this.memoryMiB(v) * 1024 * 1024,
      mem: running ? Math.min(usage.rssBytes, this.memoryMiB(v) * 1024 * 1024) : 0,
      maxdisk: this.diskBytes(v),
      uptime,
    };
  }

  async list(node: string): Promise<VmListEntry[]> {
    this.node(node);
    const out: VmListEntry[] = [];
    for (const v of [...this.vms.values()].filter((x) => x.node === node).sort((a, b) => a.vmid - b.vmid)) {
      const s = await this.status(v);
      out.push({
        vmid: v.vmid,
        name: s.name as string,
        status: s.status,
        ...(s.template ? { template: 1 } : {}),
        ...(v.lock ? { lock: v.lock } : {}),
        ...(s.tags ? { tags: s.tags } : {}),
        cpus: s.cpus as number,
        cpu: s.cpu as number,
        mem: s.mem as number,
        maxmem: s.maxmem as number,
        maxdisk: s.maxdisk as number,
        uptime: s.uptime as number,
        ...(s.pid ? { pid: s.pid } : {}),
      });
    }
    return out;
  }

  async resources(type?: string): Promise<ClusterResource[]> {
    const out: ClusterResource[] = [];
    if (!type || type === "node")
      for (const n of this.o.nodes) {
        const used = this.usedMemoryMiB(n.name);
        out.push({
          id: `node/${n.name}`,
          type: "node",
          node: n.name,
          status: "online",
          maxcpu: n.cores,
          cpu: 0.05,
          maxmem: n.memoryMiB * 1024 * 1024,
          mem: used * 1024 * 1024,
          uptime: Math.floor(process.uptime()),
        });
      }
    if (!type || type === "vm")
      for (const v of [...this.vms.values()].sort((a, b) => a.vmid - b.vmid)) {
        const s = await this.status(v);
        out.push({
          id: `qemu/${v.vmid}`,
          type: "qemu",
          node: v.node,
          vmid: v.vmid,
          name: s.name as string,
          status: s.status,
          template: v.config["template"] ? 1 : 0,
          ...(s.tags ? { tags: s.tags } : {}),
          ...(v.lock ? { lock: v.lock } : {}),
          maxcpu: s.cpus as number,
          cpu: s.cpu as number,
          maxmem: s.maxmem as number,
          mem: s.mem as number,
          maxdisk: s.maxdisk as number,
          disk: 0,
          uptime: s.uptime as number,
        });
      }
    if (!type || type === "storage")
      for (const n of this.o.nodes)
        for (const storage of [DISK_STORAGE, SNIPPETS_STORAGE])
          out.push({ id: `storage/${n.name}/${storage}`, type: "storage", node: n.name, storage, status: "available" });
    return out;
  }

  usedMemoryMiB(node: string): number {
    let used = 0;
    for (const v of this.vms.values()) if (v.node === node && v.status === "running") used += this.memoryMiB(v);
    return used;
  }

  nextId(wanted?: number): number {
    if (wanted !== undefined) {
      if (this.vms.has(wanted))
        throw new ApiError(400, "Parameter verification failed.", { vmid: `VM ${wanted} already exists` });
      return wanted;
    }
    for (let id = 100; ; id++) if (!this.vms.has(id)) return id;
  }

  // ---- task-starting writes ----

  clone(node: string, vmid: number, p: Record<string, string | number>, user: string): string {
    const source = this.vm(node, vmid);
    const newid = Number(p["newid"]);
    const target = String(p["target"] ?? node);
    this.node(target);
    if (this.vms.has(newid)) throw new ApiError(500, `unable to create VM ${newid}: config file already exists`);
    if (!source.config["template"] && source.status === "running" && p["full"] === 0)
      throw new ApiError(500, "Linked clone feature is not supported for running VMs");
    const linked = source.config["template"] && p["full"] !== 1;
    const config: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(source.config)) {
      if (k === "template" || k === "meta" || k === "vmgenid") continue;
      config[k] = v;
    }
    config["name"] = String(p["name"] ?? `Copy-of-VM-${source.config["name"] ?? vmid}`);
    const size = parsePropertyString(String(source.config["scsi0"] ?? ""))["size"] ?? "10G";
    config["scsi0"] = linked
      ? `${DISK_STORAGE}:base-${vmid}-disk-0/vm-${newid}-disk-0,size=${size}`
      : `${DISK_STORAGE}:vm-${newid}-disk-0,size=${size}`;
    config["ide2"] = `${DISK_STORAGE}:vm-${newid}-cloudinit,media=cdrom`;
    config["net0"] = `virtio=BC:24:11:${hex2(newid >> 16)}:${hex2(newid >> 8)}:${hex2(newid)},bridge=vmbr0`;
    if (p["description"] !== undefined) config["description"] = String(p["description"]);
    config["meta"] = `creation-qemu=9.2.0,ctime=${Math.floor(Date.now() / 1000)}`;
    const vm: LabVm = { vmid: newid, node: target, config, status: "stopped", lock: "clone" };
    this.vms.set(newid, vm);
    this.save();
    return this.tasks.run(
      node,
      "qmclone",
      String(vmid),
      user,
      async ({ log, signal }) => {
        const lock = this.o.storageLock;
        if (lock) {
          const release = await this.locks
            .acquire(`${node}/${DISK_STORAGE}`, DISK_STORAGE, lock.timeoutMs)
            .catch((e: Error) => Promise.reject(new TaskError(`clone failed: ${e.message}`)));
          try {
            log(`create ${linked ? "linked" : "full"} clone of drive scsi0 (${source.config["scsi0"]})`);
            await sleep(linked ? lock.linkedCloneMs : lock.fullCloneMs, signal);
          } finally {
            release();
          }
        } else log(`create ${linked ? "linked" : "full"} clone of drive scsi0 (${source.config["scsi0"]})`);
        if (this.closed) throw new TaskError("interrupted by shutdown");
      },
      (t) => {
        if (t.exitstatus === "OK") delete vm.lock;
        else if (this.vms.get(newid) === vm) this.vms.delete(newid); // a failed clone removes what it created
        this.save();
      },
    );
  }

  /** POST (async, a `qmconfig` task) and PUT (sync) `…/config`. */
  updateConfig(node: string, vmid: number, p: Record<string, string | number>): () => void {
    const v = this.vm(node, vmid);
    this.checkLock(v, p["skiplock"] as number | undefined);
    if (p["digest"] !== undefined && p["digest"] !== this.digest(v))
      throw new ApiError(500, "detected modified configuration - file changed by other user? Try again.");
    if (p["cicustom"] !== undefined) {
      for (const part of String(p["cicustom"]).split(",")) {
        const volume = part.split("=")[1] ?? "";
        const storage = volume.split(":")[0];
        if (storage !== SNIPPETS_STORAGE && storage !== "local")
          throw new ApiError(500, `storage '${storage}' does not support content-type 'snippets'`);
      }
    }
    const meta = new Set(["node", "vmid", "digest", "delete", "revert", "skiplock", "background_delay", "force"]);
    return () => {
      for (const key of String(p["delete"] ?? "")
        .split(/[,;\s]+/)
        .filter(Boolean))
        delete v.config[key];
      for (const [k, val] of Object.entries(p)) {
        if (meta.has(k)) continue;
        v.config[k] = val;
      }
      this.save();
    };
  }

  resize(node: string, vmid: number, p: Record<string, string | number>, user: string): string {
    const v = this.vm(node, vmid);
    this.checkLock(v, p["skiplock"] as number | undefined);
    const disk = String(p["disk"]);
    const current = v.config[disk];
    if (current === undefined) throw new ApiError(500, `disk '${disk}' does not exist`);
    const props = parsePropertyString(String(current), "file");
    const size = String(p["size"]);
    const m = /^(\+)?(\d+(?:\.\d+)?)([KMGT])?$/.exec(size);
    if (!m)
      throw new ApiError(400, "Parameter verification failed.", { size: "value does not match the regex pattern" });
    const old = sizeBytes(props["size"] ?? "0");
    const delta = sizeBytes(`${m[2]}${m[3] ?? ""}`);
    const next = m[1] ? old + delta : delta;
    if (next < old) throw new ApiError(500, "shrinking disks is not supported");
    return this.tasks.run(node, "resize", String(vmid), user, async ({ log }) => {
      log(`resize disk ${disk} to ${next} bytes`);
      props["size"] = formatSize(next);
      v.config[disk] = [
        props["file"],
        ...Object.entries(props)
          .filter(([k]) => k !== "file")
          .map(([k, x]) => `${k}=${x}`),
      ].join(",");
      this.save();
    });
  }

  start(node: string, vmid: number, p: Record<string, string | number>, user: string): string {
    const v = this.vm(node, vmid);
    this.checkLock(v, p["skiplock"] as number | undefined);
    if (v.config["template"]) throw new ApiError(500, `you can't start a vm if it's a template`);
    return this.tasks.run(node, "qmstart", String(vmid), user, async ({ log }) => {
      if (v.status === "running") throw new TaskError(`VM ${vmid} already running`);
      const n = this.node(node);
      const vcpus = this.vcpus(v);
      if (vcpus > n.cores) throw new TaskError(`MAX ${n.cores} vcpus allowed per VM on this node`);
      const free = n.memoryMiB - this.usedMemoryMiB(node);
      if (this.memoryMiB(v) > free) {
        log(`kvm: cannot set up guest memory 'pc.ram': Cannot allocate memory`);
        throw new TaskError("start failed: QEMU exited with code 1");
      }
      log(`generating cloud-init ISO`);
      await this.boot(v);
    });
  }

  shutdown(node: string, vmid: number, p: Record<string, string | number>, user: string): string {
    const v = this.vm(node, vmid);
    this.checkLock(v, p["skiplock"] as number | undefined);
    const timeoutS = Number(p["timeout"] ?? this.o.shutdownTimeoutS ?? 180);
    return this.tasks.run(node, "qmshutdown", String(vmid), user, async ({ log }) => {
      if (v.status !== "running") throw new TaskError(`VM ${vmid} not running`);
      v.stopping = true;
      const stopped = (await v.worker?.stop("graceful", timeoutS * 1000)) ?? true;
      if (!stopped) {
        if (!p["forceStop"]) {
          v.stopping = false;
          throw new TaskError("VM quit/powerdown failed - got timeout");
        }
        log("VM still running - terminating now with SIGTERM");
        await v.worker?.stop("hard", 10_000);
      }
      this.powerOff(v);
    });
  }

  stop(node: string, vmid: number, p: Record<string, string | number>, user: string): string {
    const v = this.vm(node, vmid);
    this.checkLock(v, p["skiplock"] as number | undefined);
    return this.tasks.run(node, "qmstop", String(vmid), user, async () => {
      if (v.status !== "running") return;
      v.stopping = true;
      await v.worker?.stop("hard", 10_000);
      this.powerOff(v);
    });
  }

  destroy(node: string, vmid: number, p: Record<string, string | number>, user: string): string {
    const v = this.vm(node, vmid);
    this.checkLock(v, p["skiplock"] as number | undefined);
    if (v.status === "running") throw new ApiError(500, `VM ${vmid} is running - destroy failed`);
    v.lock = "destroyed";
    return this.tasks.run(
      node,
      "qmdestroy",
      String(vmid),
      user,
      async ({ log }) => {
        log(`Removing image: 100% complete...done.`);
        await rm(this.vmDir(vmid), { recursive: true, force: true });
        this.vms.delete(vmid);
        this.save();
      },
      (t) => {
        if (t.exitstatus !== "OK" && this.vms.get(vmid) === v) delete v.lock;
      },
    );
  }

  // ---- power ----

  /** Writes the config drive (as qemu-server generates it at start) and boots the guest. */
  private async boot(v: LabVm): Promise<void> {
    const dir = this.vmDir(v.vmid);
    const cidata = join(dir, "cidata");
    await mkdir(cidata, { recursive: true });
    const custom = parsePropertyString(String(v.config["cicustom"] ?? ""));
    let userData: string;
    if (custom["user"]) {
      const path = this.volumePath(custom["user"]);
      if (!path || !existsSync(path)) throw new TaskError(`volume '${custom["user"]}' does not exist`);
      userData = readFileSync(path, "utf8");
    } else {
      userData = generatedUserData(v);
    }
    await writeFile(join(cidata, "user-data"), userData, { mode: 0o600 });
    await writeFile(join(cidata, "meta-data"), `instance-id: ${this.digest(v)}\n`);
    await writeFile(join(cidata, "network-config"), networkConfig(v));
    v.status = "running";
    v.startedAt = Date.now();
    v.stopping = false;
    v.worker = startWorker(
      {
        vmDir: dir,
        vmid: v.vmid,
        name: String(v.config["name"] ?? `vm${v.vmid}`),
        cores: this.vcpus(v),
        memoryMiB: this.memoryMiB(v),
        heartbeatMs: this.o.heartbeatMs,
      },
      this.o.workerMode,
      () => {
        // A guest that ends on its own (crash, poweroff inside) is a stopped VM.
        if (!v.stopping && v.status === "running" && this.vms.get(v.vmid) === v) this.powerOff(v);
      },
    );
    this.save();
  }

  private powerOff(v: LabVm): void {
    v.status = "stopped";
    delete v.startedAt;
    delete v.worker;
    v.stopping = false;
    this.save();
  }

  /** `snippets:snippets/x.yaml` → the file. */
  volumePath(volume: string): string | undefined {
    const m = /^([^:]+):snippets\/(.+)$/.exec(volume);
    if (!m || m[1] !== SNIPPETS_STORAGE || (m[2] as string).includes("..")) return undefined;
    return join(this.snippetsDir, m[2] as string);
  }

  /** Stops every guest (hard) and waits for running tasks; the state stays on disk. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.tasks.tasks.values()) if (t.status === "running") t.abort.abort();
    await this.tasks.settle();
    await Promise.all(
      [...this.vms.values()].map(async (v) => {
        if (!v.worker) return;
        v.stopping = true;
        await v.worker.stop("hard", 10_000);
      }),
    );
    await this.saving;
    await sleep(0);
  }
}

function hex2(n: number): string {
  return (n & 0xff).toString(16).toUpperCase().padStart(2, "0");
}

export function sizeBytes(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMGT])?$/.exec(s);
  if (!m) return 0;
  const unit = { K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[m[2] as "K"] ?? 1;
  return Math.round(Number(m[1]) * unit);
}

function formatSize(bytes: number): string {
  for (const [u, f] of [
    ["T", 1024 ** 4],
    ["G", 1024 ** 3],
    ["M", 1024 ** 2],
    ["K", 1024],
  ] as const)
    if (bytes % f === 0) return `${bytes / f}${u}`;
  return String(bytes);
}

/** The user data qemu-server generates from ciuser/sshkeys when no cicustom user volume is set. */
function generatedUserData(v: LabVm): string {
  const name = String(v.config["name"] ?? `vm${v.vmid}`);
  const lines = ["#cloud-config", `hostname: ${name}`, "manage_etc_hosts: true", `fqdn: ${name}`];
  if (v.config["ciuser"]) lines.push(`user: ${v.config["ciuser"]}`);
  if (v.config["sshkeys"]) {
    lines.push("ssh_authorized_keys:");
    for (const k of decodeURIComponent(String(v.config["sshkeys"])).split("\n").filter(Boolean)) lines.push(`  - ${k}`);
  }
  lines.push("chpasswd:", "  expire: False", "users:", "  - default", "package_upgrade: true");
  return `${lines.join("\n")}\n`;
}

function networkConfig(v: LabVm): string {
  const ip = parsePropertyString(String(v.config["ipconfig0"] ?? "ip=dhcp"));
  const subnet =
    !ip["ip"] || ip["ip"] === "dhcp"
      ? { type: "dhcp4" }
      : { type: "static", address: ip["ip"], ...(ip["gw"] ? { gateway: ip["gw"] } : {}) };
  return stringify({ version: 1, config: [{ type: "physical", name: "eth0", subnets: [subnet] }] });
}
