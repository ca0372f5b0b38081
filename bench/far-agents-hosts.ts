/**
 * The hosts of bench/far-agents.ts, in their own process (so the engine's RSS and CPU are its own):
 * N lab flintlockd hosts with the simulated provider on Unix sockets. Prints one JSON line with
 * their configs once up; on a line "calls" on stdin prints the calls each host served; exits on EOF.
 *
 *   node --import tsx bench/far-agents-hosts.ts HOSTS START_DELAY_MS STATE_DIR
 */
import { createInterface } from "node:readline";
import { join } from "node:path";
import { startLabHost, type LabHost } from "../lab/flintlock/index.ts";

const [count = "20", delay = "0", dir = "/tmp/bosun-far-bench"] = process.argv.slice(2);
const hosts: LabHost[] = [];
for (let i = 0; i < Number(count); i++) {
  const name = `blade-${String(i + 1).padStart(2, "0")}`;
  hosts.push(
    await startLabHost({
      name,
      provider: "simulated",
      startDelayMs: Number(delay),
      capacity: { vcpu: 64, memoryMiB: 65536 },
      labels: { pool: "far" },
      stateDir: join(dir, name),
      tcp: "none",
    }),
  );
}
process.stdout.write(`${JSON.stringify(hosts.map((h) => h.config()))}\n`);
const rl = createInterface({ input: process.stdin });
rl.on("line", (line) => {
  if (line.trim() === "calls") {
    const calls = Object.fromEntries(hosts.map((h) => [h.name, Object.fromEntries(h.flintlockd.calls)]));
    process.stdout.write(`${JSON.stringify(calls)}\n`);
  }
});
rl.on("close", () => {
  void Promise.all(hosts.map((h) => h.stop())).then(() => process.exit(0));
});
