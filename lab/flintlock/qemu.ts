/**
 * The lab's QEMU provider: each microVM is a real `qemu-system-x86_64 -M microvm` process (no NIC,
 * one vCPU, TCG unless a probe boot proved KVM works) booting Debian's cloud kernel and the lab's
 * busybox initramfs (install.sh). The guest prints `FAR-AGENT-READY <namespace>/<name> <uid>` on its
 * serial console once up (CREATED waits for it), records every boot's uid on its root volume (a
 * raw ext4 file kept per namespace and volume id, so a recreated VM finds its predecessor's data),
 * and powers off on the ACPI power button (QMP `system_powerdown`); a stop past its grace period is
 * a SIGKILL.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { execFile } from "node:child_process";
import type { Provider, ProviderVM } from "./provider.ts";

const run = promisify(execFile);
const SETPRIV = "/usr/bin/setpriv";

export interface QemuImages {
  readonly kernel: string;
  readonly initrd: string;
  readonly qemu: string;
  readonly accel: "tcg" | "kvm";
}

export interface QemuProviderOptions {
  readonly images: QemuImages;
  /** Where VMs' serial logs, QMP sockets and kept volumes go. */
  readonly stateDir: string;
  /** The host's name, passed to the guest. */
  readonly hostName: string;
  /** Kernel images this host can "pull" (others fail like a missing OCI image). */
  readonly knownImage?: (image: string) => boolean;
  /** Guest memory is capped here (TCG guests touch little of it; default 256). */
  readonly maxGuestMiB?: number;
  /** How long a boot may take to print its ready line (default 90 s). */
  readonly bootTimeoutMs?: number;
  /** Kept volume size (default 32 MiB). */
  readonly volumeMiB?: number;
}

interface Running {
  readonly child: ChildProcess;
  readonly dir: string;
  stopping: boolean;
  readonly exited: Promise<void>;
}

export class QemuProvider implements Provider {
  readonly name = "qemu";
  onExit?: (uid: string, reason: string) => void;
  private readonly vms = new Map<string, Running>();

  constructor(private readonly options: QemuProviderOptions) {}

  /** The QEMU pid of a running VM. */
  pid(uid: string): number | undefined {
    return this.vms.get(uid)?.child.pid;
  }

  serialLogPath(uid: string): string {
    return join(this.options.stateDir, "vms", uid, "serial.log");
  }

  volumePath(namespace: string, volumeId: string): string {
    return join(this.options.stateDir, "volumes", namespace, `${volumeId}.ext4`);
  }

  running(): string[] {
    return [...this.vms.keys()];
  }

  async start(vm: ProviderVM): Promise<void> {
    const { spec, uid } = vm;
    const image = spec.kernel?.image ?? "";
    if (this.options.knownImage && !this.options.knownImage(image))
      throw new Error(`pulling kernel image ${image}: not found`);
    const dir = join(this.options.stateDir, "vms", uid);
    await mkdir(dir, { recursive: true });
    const volume = this.volumePath(spec.namespace, spec.rootVolume?.id ?? `${spec.id}-root`);
    if (!existsSync(volume)) await makeVolume(volume, this.options.volumeMiB ?? 32);
    const memory = Math.max(128, Math.min(spec.memoryInMb, this.options.maxGuestMiB ?? 256));
    const cmdline = [
      "console=ttyS0",
      "quiet",
      "panic=-1",
      // microvm has no HPET/PM timer: on a loaded host TSC calibration fails and the guest hangs; give it the rate.
      "tsc_early_khz=2000000",
      "lpj=8000000",
      `bosun.id=${uid}`,
      `bosun.name=${spec.namespace}/${spec.id}`,
      `bosun.host=${this.options.hostName}`,
      "bosun.modules=virtio_mmio,virtio_blk,button,evdev",
      ...Object.entries(spec.kernel?.cmdline ?? {})
        .filter(([k]) => /^[A-Za-z0-9_.-]+$/.test(k))
        .map(([k, v]) => (v === "" ? k : `${k}=${String(v).replace(/\s/g, "")}`)),
    ].join(" ");
    const serial = join(dir, "serial.log");
    const args = [
      "-M",
      "microvm",
      "-accel",
      this.options.images.accel === "kvm" ? "kvm" : "tcg,tb-size=16",
      "-m",
      String(memory),
      "-smp",
      "1",
      "-nodefaults",
      "-no-user-config",
      "-nic",
      "none",
      "-display",
      "none",
      "-serial",
      `file:${serial}`,
      "-no-reboot",
      "-qmp",
      `unix:${join(dir, "qmp.sock")},server=on,wait=off`,
      "-kernel",
      this.options.images.kernel,
      "-initrd",
      this.options.images.initrd,
      "-append",
      cmdline,
      "-drive",
      `id=d0,file=${volume},format=raw,if=none`,
      "-device",
      "virtio-blk-device,drive=d0",
    ];
    // The VM dies with the process that runs this host (a killed lab or test leaves no QEMU behind).
    const [cmd, ...pre] = existsSync(SETPRIV)
      ? [SETPRIV, "--pdeathsig", "SIGKILL", "--", this.options.images.qemu]
      : [this.options.images.qemu];
    const child = spawn(cmd as string, [...pre, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const r: Running = { child, dir, stopping: false, exited };
    this.vms.set(uid, r);
    child.once("exit", (code, sig) => {
      if (this.vms.get(uid) !== r) return;
      this.vms.delete(uid);
      if (!r.stopping) this.onExit?.(uid, `qemu exited (${sig ?? code})`);
    });
    const deadline = Date.now() + (this.options.bootTimeoutMs ?? 90_000);
    for (;;) {
      const log = await readFile(serial, "utf8").catch(() => "");
      if (log.includes("FAR-AGENT-READY")) return;
      if (child.exitCode !== null || child.signalCode !== null) {
        this.vms.delete(uid);
        throw new Error(`qemu exited before the guest was ready: ${stderr.trim() || log.slice(-500)}`);
      }
      if (Date.now() > deadline) {
        r.stopping = true;
        child.kill("SIGKILL");
        await exited;
        throw new Error("the guest did not print FAR-AGENT-READY before the boot timeout");
      }
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  async stop(uid: string, graceMs: number): Promise<void> {
    const r = this.vms.get(uid);
    if (!r) return;
    r.stopping = true;
    if (graceMs > 0) {
      await qmp(join(r.dir, "qmp.sock"), "system_powerdown").catch(() => undefined);
      const done = await Promise.race([
        r.exited.then(() => true),
        new Promise<boolean>((res) => setTimeout(() => res(false), graceMs)),
      ]);
      if (!done) await qmp(join(r.dir, "qmp.sock"), "quit").catch(() => undefined);
      const quit = await Promise.race([
        r.exited.then(() => true),
        new Promise<boolean>((res) => setTimeout(() => res(false), 2000)),
      ]);
      if (quit) return;
    }
    r.child.kill("SIGKILL");
    await r.exited;
  }

  async close(): Promise<void> {
    await Promise.all([...this.vms.keys()].map((uid) => this.stop(uid, 0)));
  }

  /** Removes the state dir (VM logs and kept volumes). */
  async purge(): Promise<void> {
    await rm(this.options.stateDir, { recursive: true, force: true });
  }
}

async function makeVolume(path: string, mib: number): Promise<void> {
  await mkdir(join(path, ".."), { recursive: true });
  await run("truncate", ["-s", `${mib}M`, path]);
  await run("mkfs.ext4", ["-q", "-F", "-L", "farroot", path]);
}

/** One QMP command over the VM's socket (after the capabilities handshake). */
export function qmp(socket: string, command: string, timeoutMs = 2000): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect(socket);
    let buf = "";
    let sent = false;
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`QMP ${command}: timeout`));
    }, timeoutMs);
    s.on("data", (d) => {
      buf += d.toString();
      if (!sent && buf.includes('"QMP"')) {
        sent = true;
        s.write(JSON.stringify({ execute: "qmp_capabilities" }) + "\n");
        s.write(JSON.stringify({ execute: command }) + "\n");
      }
      const returns = buf.split("\n").filter((l) => l.includes('"return"')).length;
      if (returns >= 2) {
        clearTimeout(t);
        s.end();
        resolve();
      }
    });
    s.on("error", (e) => {
      clearTimeout(t);
      reject(e);
    });
    s.on("close", () => {
      clearTimeout(t);
      resolve();
    });
  });
}
