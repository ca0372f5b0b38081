/** What runs a lab flintlockd's microVMs: real QEMU processes (qemu.ts) or nothing at all (simulated). */
import type { MicroVMSpec } from "../../clients/flintlock/index.ts";

export interface ProviderVM {
  readonly uid: string;
  readonly spec: MicroVMSpec;
}

export interface Provider {
  readonly name: string;
  /** Starts the VM; rejects with a reason the host reports as a failed reconcile (bad image, boot failure). */
  start(vm: ProviderVM): Promise<void>;
  /** Stops it: graceful within `graceMs` (0 = at once), then forced. Resolves once it is gone. */
  stop(uid: string, graceMs: number): Promise<void>;
  /** Called by the provider when a VM ends that nobody stopped (killed out of band, crashed). */
  onExit?: (uid: string, reason: string) => void;
  close(): Promise<void>;
}

/** No process: a VM "runs" from start until stop; `startDelayMs` plays the backend's boot time. */
export class SimulatedProvider implements Provider {
  readonly name = "simulated";
  onExit?: (uid: string, reason: string) => void;
  readonly running = new Set<string>();

  constructor(
    private readonly options: {
      readonly startDelayMs?: number;
      readonly knownImages?: (image: string) => boolean;
    } = {},
  ) {}

  async start(vm: ProviderVM): Promise<void> {
    const image = vm.spec.kernel?.image ?? "";
    if (this.options.knownImages && !this.options.knownImages(image))
      throw new Error(`pulling kernel image ${image}: not found`);
    if (this.options.startDelayMs) await new Promise((r) => setTimeout(r, this.options.startDelayMs));
    this.running.add(vm.uid);
  }

  async stop(uid: string): Promise<void> {
    this.running.delete(uid);
  }

  /** Ends a VM behind flintlockd's back. */
  kill(uid: string): void {
    if (this.running.delete(uid)) this.onExit?.(uid, "the VM process exited");
  }

  async close(): Promise<void> {
    this.running.clear();
  }
}
