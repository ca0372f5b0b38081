import { BosunError } from "../../engine/model/errors.ts";

/**
 * What went wrong talking to libvirt or its tools, which says what a caller does next:
 * - `unavailable`: the daemon cannot be reached (socket missing, connection refused, timed out): retry later;
 * - `not-found`: the domain does not exist (any more);
 * - `disk`: `qemu-img` could not create or read a disk image (no space, no permission, bad path);
 * - `config-drive`: `genisoimage` could not build the NoCloud config drive;
 * - `refused`: libvirt refused the request (bad XML, a name or UUID in use, an operation the domain's state forbids);
 * - `tool-missing`: virsh / qemu-img / genisoimage is not installed (run lab/libvirt/install.sh);
 * - `aborted`: the caller's AbortSignal fired.
 */
export type LibvirtErrorKind =
  "unavailable" | "not-found" | "disk" | "config-drive" | "refused" | "tool-missing" | "aborted";

/** A failed libvirt call: its subject (URI and domain, or the disk path), the command, and the tool's own words. */
export class LibvirtError extends BosunError {
  override readonly name = "LibvirtError";
  constructor(
    subject: string,
    readonly kind: LibvirtErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(subject, message, { ...options, code: `LIBVIRT_${kind.toUpperCase().replace(/-/g, "_")}` });
  }
}

export function isLibvirtError(err: unknown, kind?: LibvirtErrorKind): err is LibvirtError {
  return err instanceof LibvirtError && (kind === undefined || err.kind === kind);
}

/** How virsh's stderr reads for each kind (virsh exits 1 for all of them). */
export function classifyVirshFailure(stderr: string): LibvirtErrorKind {
  if (
    /failed to connect to the hypervisor|Failed to connect socket|Cannot recv data|End of file while reading|no connection driver available|Connection reset|Broken pipe|unable to connect to server/i.test(
      stderr,
    )
  )
    return "unavailable";
  if (/Domain not found|failed to get domain|no domain with matching/i.test(stderr)) return "not-found";
  return "refused";
}
