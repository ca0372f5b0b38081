/**
 * The lab Kamaji's watchdog: when the process that started tenant control planes dies without
 * stopping them, their processes (those naming the work dir) are stopped and the work dir removed;
 * a recorded pid that no longer names the work dir (reused) is left alone.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { startLabKamajiWatchdog } from "../../lab/kamaji/index.ts";
import { waitFor } from "../e2e/support.ts";

const started: ChildProcess[] = [];
const idle = (...args: string[]): ChildProcess => {
  const c = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)", "--", ...args], { stdio: "ignore" });
  started.push(c);
  return c;
};
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

afterAll(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

it("stops the tenant processes of a dead owner and removes the work dir, leaving other pids alone", async () => {
  const dir = await mkdtemp(join(tmpdir(), "bosun-kamaji-wd-"));
  const owner = idle();
  const apiserver = idle(`--cert-dir=${dir}/t1/certs`);
  const cm = idle(`--kubeconfig=${dir}/t1/controller-manager.conf`);
  const stranger = idle("--not-ours");
  await writeFile(
    join(dir, "state.json"),
    JSON.stringify({
      ownerPid: owner.pid,
      processes: [
        { apiserverPid: apiserver.pid, controllerManagerPid: cm.pid },
        { apiserverPid: stranger.pid, controllerManagerPid: 0 },
      ],
    }),
  );
  const watchdog = startLabKamajiWatchdog(dir, owner.pid as number) as number;
  expect(watchdog).toBeGreaterThan(0);
  // While the owner lives, nothing happens.
  await new Promise((r) => setTimeout(r, 1500));
  expect(alive(apiserver.pid as number)).toBe(true);
  owner.kill("SIGKILL");
  await waitFor(
    "tenant processes stopped, work dir removed",
    async () => !alive(apiserver.pid as number) && !alive(cm.pid as number) && !existsSync(dir),
    20_000,
  );
  expect(alive(stranger.pid as number)).toBe(true);
  await waitFor("the watchdog exits", async () => !alive(watchdog), 10_000);
}, 60_000);
