/**
 * A lab VM as its own process: `node --import tsx lab/proxmox/worker/main.ts '<GuestOptions JSON>'`.
 * SIGTERM (ACPI shutdown) stops the kubelet gracefully (NotReady posted); SIGKILL is a hard stop.
 * Log lines (JSON) go to stdout, which the lab writes to the VM's console log.
 */
import { bootGuest, type GuestOptions } from "./boot.ts";

const options = JSON.parse(process.argv[2] ?? "{}") as GuestOptions;
const stop = new AbortController();
// A powered-on guest runs until it is stopped, also when it has nothing to do.
// It also ends when the lab is gone (its parent died without stopping it): no orphan keeps heart-beating.
const parent = process.ppid;
const keepAlive = setInterval(() => {
  if (process.ppid !== parent) stop.abort();
}, 1000);
stop.signal.addEventListener("abort", () => clearInterval(keepAlive), { once: true });
let graceful = false;
process.on("SIGTERM", () => {
  graceful = true;
  stop.abort();
});
process.on("SIGINT", () => stop.abort());
const log = (message: string, fields: Record<string, unknown> = {}): void => {
  process.stdout.write(
    `${JSON.stringify({ time: new Date().toISOString(), vmid: options.vmid, message, ...fields })}\n`,
  );
};
bootGuest(options, log, stop.signal, () => graceful).then(
  () => process.exit(0),
  (e: unknown) => {
    log("guest crashed", { error: e instanceof Error ? e.message : String(e) });
    process.exit(1);
  },
);
