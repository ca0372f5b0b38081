/**
 * Our own types for the part of the Proxmox VE 9.1 API (`../shared/specs/proxmox`) Bosun uses.
 * Field names are the API's; numbers are what the server sends (bytes for memory, fractions of a
 * CPU for `cpu`). A contract test checks them against the spec's `returns` schemas.
 */

/** A task id: `UPID:<node>:<pid>:<pstart>:<starttime>:<type>:<id>:<user>:` (trailing colon included). */
export type Upid = string;

/** The fields of a UPID. `node` is where the task runs: its status is read from that node. */
export interface ParsedUpid {
  readonly node: string;
  readonly pid: number;
  readonly pstart: number;
  /** Unix seconds. */
  readonly starttime: number;
  /** Worker type, e.g. `qmclone`, `qmstart`, `qmdestroy`. */
  readonly type: string;
  /** Usually the VMID as a string; may be empty. */
  readonly id: string;
  /** `user@realm`, or `user@realm!tokenid` for token auth. */
  readonly user: string;
}

/** `GET /nodes/{node}/tasks/{upid}/status`. */
export interface TaskStatus {
  readonly upid: Upid;
  readonly node: string;
  readonly pid: number;
  readonly pstart: number;
  readonly starttime: number;
  readonly type: string;
  readonly id: string;
  readonly user: string;
  readonly status: "running" | "stopped";
  /** Once stopped: `OK`, `WARNINGS: n`, or the error message. */
  readonly exitstatus?: string;
}

/** One line of `GET /nodes/{node}/tasks/{upid}/log`. */
export interface TaskLogLine {
  readonly n: number;
  readonly t: string;
}

/** An entry of `GET /nodes/{node}/tasks` (task list). */
export interface TaskListEntry {
  readonly upid: Upid;
  readonly node: string;
  readonly type: string;
  readonly id?: string;
  readonly user: string;
  readonly starttime: number;
  readonly endtime?: number;
  readonly status?: string;
}

/** `GET /nodes`. */
export interface NodeSummary {
  readonly node: string;
  readonly status: "online" | "offline" | "unknown";
  readonly cpu?: number;
  readonly maxcpu?: number;
  /** Bytes. */
  readonly mem?: number;
  readonly maxmem?: number;
  readonly uptime?: number;
}

/** `GET /cluster/resources` (all types share the shape; unused fields absent). */
export interface ClusterResource {
  /** `qemu/100`, `node/pve1`, `storage/pve1/local`, … */
  readonly id: string;
  readonly type: "qemu" | "lxc" | "node" | "storage" | "pool" | "sdn" | "network" | "openvz";
  readonly node?: string;
  readonly vmid?: number;
  readonly name?: string;
  readonly status?: string;
  readonly template?: number;
  /** `;`-separated. */
  readonly tags?: string;
  readonly lock?: string;
  readonly pool?: string;
  readonly cpu?: number;
  readonly maxcpu?: number;
  readonly mem?: number;
  readonly maxmem?: number;
  readonly disk?: number;
  readonly maxdisk?: number;
  readonly uptime?: number;
  readonly storage?: string;
}

export type PowerStatus = "running" | "stopped";

/** `GET /nodes/{node}/qemu` entries. */
export interface VmListEntry {
  readonly vmid: number;
  readonly name?: string;
  readonly status: PowerStatus;
  readonly qmpstatus?: string;
  readonly template?: number;
  readonly lock?: string;
  readonly tags?: string;
  readonly cpus?: number;
  readonly cpu?: number;
  readonly mem?: number;
  readonly maxmem?: number;
  readonly maxdisk?: number;
  readonly uptime?: number;
  readonly pid?: number;
}

/** `GET /nodes/{node}/qemu/{vmid}/status/current`: power state and the metrics Bosun reports. */
export interface VmStatus {
  readonly vmid: number;
  readonly status: PowerStatus;
  readonly qmpstatus?: string;
  readonly name?: string;
  readonly lock?: string;
  readonly template?: number;
  readonly tags?: string;
  readonly agent?: number;
  readonly ha: Readonly<Record<string, unknown>>;
  /** CPU usage as a fraction of `cpus` (0..cpus). */
  readonly cpu?: number;
  readonly cpus?: number;
  /** Bytes in use / configured. */
  readonly mem?: number;
  readonly maxmem?: number;
  readonly maxdisk?: number;
  /** Seconds. */
  readonly uptime?: number;
  readonly pid?: number;
}

/**
 * `GET /nodes/{node}/qemu/{vmid}/config`: the config keys as the server stores them (strings and
 * numbers), plus `digest` for optimistic concurrency. Only the keys Bosun reads are named.
 */
export interface VmConfig {
  readonly digest: string;
  readonly name?: string;
  readonly cores?: number;
  readonly sockets?: number;
  /** `[current=]<MiB>` property string, e.g. `2048`. */
  readonly memory?: string | number;
  readonly template?: number;
  readonly tags?: string;
  readonly description?: string;
  readonly ciuser?: string;
  /** URL-encoded, one key per line once decoded. */
  readonly sshkeys?: string;
  readonly ipconfig0?: string;
  readonly cicustom?: string;
  readonly lock?: string;
  readonly [key: string]: string | number | undefined;
}

/** `ipconfig[n]`: `ip=dhcp` or `ip=10.0.0.5/24,gw=10.0.0.1`. */
export interface IpConfig {
  readonly ip?: string;
  readonly gw?: string;
  readonly ip6?: string;
  readonly gw6?: string;
}

/** `cicustom`: volumes that replace the generated cloud-init files (e.g. `local:snippets/w1.yaml`). */
export interface CiCustom {
  readonly user?: string;
  readonly network?: string;
  readonly meta?: string;
  readonly vendor?: string;
}

/** A config change (`POST`/`PUT …/config`). Undefined fields are not sent. */
export interface VmConfigUpdate {
  readonly name?: string;
  readonly cores?: number;
  readonly sockets?: number;
  /** MiB. */
  readonly memory?: number;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly onboot?: boolean;
  readonly agent?: boolean;
  /** cloud-init user name. */
  readonly ciuser?: string;
  /** Public keys in OpenSSH format; the client URL-encodes them as the API requires. */
  readonly sshkeys?: readonly string[];
  /** `ipconfig0`, `ipconfig1`, … by interface index. */
  readonly ipconfig?: Readonly<Record<number, IpConfig>>;
  readonly nameserver?: string;
  readonly searchdomain?: string;
  readonly cicustom?: CiCustom;
  /** Keys to remove. */
  readonly delete?: readonly string[];
  /** Refuse the change when the config changed since this digest was read. */
  readonly digest?: string;
}

/** `POST /nodes/{node}/qemu/{vmid}/clone`. */
export interface CloneOptions {
  readonly newid: number;
  readonly name?: string;
  /** Full copy (a linked clone is the default for templates). */
  readonly full?: boolean;
  /** Target node (needs shared storage). */
  readonly target?: string;
  readonly storage?: string;
  readonly pool?: string;
  readonly description?: string;
  readonly snapname?: string;
  readonly format?: "raw" | "qcow2" | "vmdk";
}

/** `POST …/status/shutdown`. */
export interface ShutdownOptions {
  /** Seconds to wait for the guest. */
  readonly timeout?: number;
  /** Stop the VM when the guest did not shut down in time (else the task fails). */
  readonly forceStop?: boolean;
}

/** `DELETE /nodes/{node}/qemu/{vmid}`. */
export interface DeleteOptions {
  /** Also remove the VM from backup, replication and HA jobs. */
  readonly purge?: boolean;
  readonly destroyUnreferencedDisks?: boolean;
}

/** `GET /version`. */
export interface VersionInfo {
  readonly version: string;
  readonly release: string;
  readonly repoid: string;
}
