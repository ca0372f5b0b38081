import { randomBytes } from "node:crypto";
import { access, mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { LibvirtClient } from "./client.ts";
import type { DomainType } from "./domain-xml.ts";

export interface ProbeOptions {
  /** A kernel + initramfs whose /init prints `marker` on ttyS0 (lab/libvirt/install.sh builds one). */
  readonly kernel: string;
  readonly initrd: string;
  /** Folder for the probe's serial log (readable by the QEMU user). */
  readonly workDir: string;
  /** What the guest prints once its kernel runs (default `BOSUN-KVM-BOOT`). */
  readonly marker?: string;
  /** How long a KVM boot may take to print the marker (default 20 s; TCG needs ~4 s). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Where /dev/kvm is (tests point elsewhere). */
  readonly devKvm?: string;
}

export interface ProbeResult {
  readonly type: DomainType;
  /** Why: "no /dev/kvm", "a kvm probe boot printed BOSUN-KVM-BOOT after 1.2 s", "… printed nothing within 20 s". */
  readonly reason: string;
}

/**
 * Which domain type boots Linux guests on this host: `kvm` only when a real probe boot under `type='kvm'` prints the
 * marker in time, `qemu` (TCG) otherwise. (On PVM hosts, /dev/kvm exists but the guest never reaches its first
 * kernel line: see ../shared/research/real-components.md "Round 2 feasibility".) The probe domain is removed after.
 */
export async function probeDomainType(client: LibvirtClient, opts: ProbeOptions): Promise<ProbeResult> {
  const devKvm = opts.devKvm ?? "/dev/kvm";
  if (
    !(await access(devKvm).then(
      () => true,
      () => false,
    ))
  )
    return { type: "qemu", reason: `no ${devKvm}` };
  const marker = opts.marker ?? "BOSUN-KVM-BOOT";
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const name = `bosun-kvm-probe-${randomBytes(4).toString("hex")}`;
  const dir = join(opts.workDir, name);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const serialLog = join(dir, "serial.log");
  const started = Date.now();
  try {
    await client.defineDomain(
      {
        name,
        type: "kvm",
        vcpus: 1,
        memoryMiB: 128,
        boot: { kernel: opts.kernel, initrd: opts.initrd, cmdline: `console=ttyS0 quiet panic=-1 bosun.name=${name}` },
        disks: [],
        serialLog,
        metadata: { probe: "true" },
      },
      opts.signal,
    );
    try {
      await client.startDomain(name, opts.signal);
    } catch (err) {
      return { type: "qemu", reason: `a kvm probe domain did not start: ${(err as Error).message}` };
    }
    for (;;) {
      const log = await readFile(serialLog, "utf8").catch(() => "");
      if (log.includes(marker))
        return {
          type: "kvm",
          reason: `a kvm probe boot printed ${marker} after ${((Date.now() - started) / 1000).toFixed(1)} s`,
        };
      if (Date.now() - started > timeoutMs) {
        const pvm = await access("/sys/module/kvm_pvm").then(
          () => " (kvm_pvm is loaded)",
          () => "",
        );
        return { type: "qemu", reason: `a kvm probe boot printed nothing within ${timeoutMs / 1000} s${pvm}` };
      }
      opts.signal?.throwIfAborted();
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await client.removeDomain(name).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}
