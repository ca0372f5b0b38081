/** UPIDs as pve-common's PVE/UPID.pm writes and decodes them. */
import type { ParsedUpid, Upid } from "./types.ts";

const UPID_RE =
  /^UPID:([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):([^:\s/]+):([^:\s/]*):([^:\s/]+):$/;

/** The UPID's fields, or undefined when it is not a UPID. */
export function parseUpid(upid: string): ParsedUpid | undefined {
  const m = UPID_RE.exec(upid);
  if (!m) return undefined;
  return {
    node: m[1] as string,
    pid: parseInt(m[3] as string, 16),
    pstart: parseInt(m[4] as string, 16),
    starttime: parseInt(m[5] as string, 16),
    type: m[6] as string,
    id: m[7] as string,
    user: m[8] as string,
  };
}

const hex = (n: number, width: number): string => n.toString(16).toUpperCase().padStart(width, "0");

/** Writes a UPID (pid and starttime 8 hex digits, pstart 8 or 9). */
export function formatUpid(u: ParsedUpid): Upid {
  return `UPID:${u.node}:${hex(u.pid, 8)}:${hex(u.pstart, 8)}:${hex(u.starttime, 8)}:${u.type}:${u.id}:${u.user}:`;
}

/** True when a stopped task's exit status means success (`OK` or `WARNINGS: n`). */
export function taskSucceeded(exitstatus: string | undefined): boolean {
  return exitstatus === "OK" || /^WARNINGS: \d+$/.test(exitstatus ?? "");
}
