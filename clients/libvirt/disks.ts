import { rm } from "node:fs/promises";
import { runTool } from "./exec.ts";

export interface DiskImageInfo {
  readonly format: string;
  /** Size the guest sees, bytes. */
  readonly virtualSize: number;
  /** Bytes used on the host. */
  readonly actualSize: number;
}

export interface DiskToolOptions {
  /** The qemu-img binary (default `qemu-img` on PATH). */
  readonly qemuImg?: string;
  readonly signal?: AbortSignal;
}

/** Creates a qcow2 image of `sizeBytes` (sparse) with `qemu-img create`, in a folder that exists. */
export async function createQcow2(path: string, sizeBytes: number, opts: DiskToolOptions = {}): Promise<void> {
  const subject = `disk ${path}`;
  await runTool(
    opts.qemuImg ?? "qemu-img",
    ["create", "-q", "-f", "qcow2", path, String(Math.max(1, Math.floor(sizeBytes)))],
    { subject, failureKind: "disk", timeoutKind: "disk", ...(opts.signal ? { signal: opts.signal } : {}) },
  );
}

/** `qemu-img info` of an image; fails `disk` when it is missing or unreadable. */
export async function diskImageInfo(path: string, opts: DiskToolOptions = {}): Promise<DiskImageInfo> {
  const r = await runTool(opts.qemuImg ?? "qemu-img", ["info", "--force-share", "--output=json", path], {
    subject: `disk ${path}`,
    failureKind: "disk",
    timeoutKind: "disk",
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const j = JSON.parse(r.stdout) as { format?: string; "virtual-size"?: number; "actual-size"?: number };
  return { format: j.format ?? "", virtualSize: j["virtual-size"] ?? 0, actualSize: j["actual-size"] ?? 0 };
}

export async function removeDiskImage(path: string): Promise<void> {
  await rm(path, { force: true });
}
